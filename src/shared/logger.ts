import pino from "pino";

export type Logger = pino.Logger;

/**
 * Every log line goes through pino. Redaction is a second line of defence:
 * secrets should never be passed to a logger in the first place.
 */
export function createLogger(options: { level: string; pretty?: boolean }): Logger {
  return pino({
    level: options.level,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "password",
        "token",
        "*.password",
        "*.token",
        "*.privateKey",
      ],
      censor: "[redacted]",
    },
    transport: options.pretty ? { target: "pino-pretty", options: { colorize: true } } : undefined,
  });
}
