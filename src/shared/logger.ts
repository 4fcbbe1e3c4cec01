import pino from "pino";

export type Logger = pino.Logger;

/**
 * Every log line goes through pino. Redaction is a second line of defence:
 * secrets should never be passed to a logger in the first place.
 */
export function createLogger(options: {
  level: string;
  pretty?: boolean;
  /** Where lines go instead of stdout (tests capture them). */
  destination?: pino.DestinationStream;
}): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "password",
        "token",
        "*.password",
        "*.token",
        "email",
        "*.email",
        "*.privateKey",
      ],
      censor: "[redacted]",
    },
    // `err` for ours and Fastify's, `error` for Fedify's records (src/shared/fedify-logging.ts);
    // `req` for Fastify's request lines, without the secrets some paths carry.
    serializers: { err: serializeError, error: serializeError, req: serializeRequest },
    transport: options.pretty ? { target: "pino-pretty", options: { colorize: true } } : undefined,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/**
 * Paths whose last segment, or query parameter, is a secret: an application's status token
 * (/join/status/…), an invitation code (/invite/…, ?invite=…), the links mailed to a member (a
 * password reset, an address check). Whoever reads the log must not be able to open them.
 */
const SECRET_IN_URL =
  /(\/join\/status\/|\/invite\/|[?&]invite=|\/password\/reset\/|\/settings\/email\/verify\/)[^/?&#]+/g;

export function withoutUrlSecrets(url: string): string {
  return url.replace(SECRET_IN_URL, "$1[redacted]");
}

/** What Fastify's own serializer logs of a request, its URL without secrets. */
function serializeRequest(request: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: request.method,
    url: typeof request.url === "string" ? withoutUrlSecrets(request.url) : request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/*
 * A failed query must not put what it was writing in the log (private fields of the
 * tracker among them): drizzle's message ends with the query's parameters, and the
 * drivers' errors carry them, or the failing row, in fields of their own.
 */

/** Fields holding the values of a query: drizzle's and PGlite's `params`, postgres.js' `parameters`
 * and `args`, PGlite's `queryOptions`, PostgreSQL's `detail` ("Failing row contains (…)"). */
const VALUE_FIELDS = new Set(["params", "parameters", "args", "queryOptions", "detail"]);
/** drizzle's DrizzleQueryError: "Failed query: <sql>\nparams: <values>", values last. */
const PARAMS_TAIL = /\nparams: [\s\S]*$/;
/** PostgreSQL quotes the value it could not read: `invalid input syntax for type uuid: "…"`,
 * `invalid input value for enum …: "…"`, `value "…" is out of range for type integer`. */
const QUOTED_VALUE = /(: |value )"[\s\S]*"( is out of range|$)/;
const isSqlState = (code: unknown) => typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);

/** An error and its causes, without the values of a failed query. */
export function withoutQueryValues(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 8) return error;
  let message = error.message.replace(PARAMS_TAIL, "\nparams: [not logged]");
  if (isSqlState((error as { code?: unknown }).code)) {
    message = message.replace(QUOTED_VALUE, '$1"[not logged]"$2');
  }
  const stack =
    message === error.message
      ? error.stack
      : error.stack?.includes(error.message)
        ? error.stack.replace(error.message, () => message)
        : error.stack
            ?.split("\n")
            .filter((line) => /^\s+at /.test(line))
            .join("\n");
  const copy = Object.create(Object.getPrototypeOf(error)) as Error;
  for (const key of Object.keys(error)) {
    if (!VALUE_FIELDS.has(key) && key !== "cause") {
      (copy as unknown as Record<string, unknown>)[key] = (
        error as unknown as Record<string, unknown>
      )[key];
    }
  }
  Object.defineProperties(copy, {
    name: { value: error.name, configurable: true, writable: true },
    message: { value: message, configurable: true, writable: true },
    stack: { value: stack, configurable: true, writable: true },
  });
  if (error.cause !== undefined) {
    Object.defineProperty(copy, "cause", {
      value: withoutQueryValues(error.cause, depth + 1),
      configurable: true,
      writable: true,
    });
  }
  return copy;
}

function serializeError(error: unknown): unknown {
  return pino.stdSerializers.err(withoutQueryValues(error) as Error);
}
