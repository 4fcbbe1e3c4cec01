import { isIP } from "node:net";
import { resolve } from "node:path";
import { z } from "zod";
import type { DatabaseConfig } from "../db/database.ts";
import type { S3Settings } from "../media/s3-media-storage.ts";

export const ROLES = ["all", "web", "worker"] as const;
export type Role = (typeof ROLES)[number];

export interface AppConfig {
  readonly origin: URL;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  readonly role: Role;
  readonly instanceName: string;
  /** The language the instance speaks to the fediverse as a whole (its own actor's name and bio). */
  readonly instanceLanguage?: "fr" | "en";
  /** Lets Fedify fetch private and loopback addresses: tests and local multi-instance setups only. */
  readonly allowPrivateAddress: boolean;
  /**
   * Addresses (IPs, CIDRs, or `loopback`, `linklocal`, `uniquelocal`) of the reverse proxies whose
   * `X-Forwarded-For` is believed; false (the default, also when unset) uses the socket address.
   */
  readonly trustProxy?: false | readonly string[];
  /** How deliveries are bounded and shared out; defaults when unset (see `DEFAULT_DELIVERY`). */
  readonly delivery?: DeliverySettings;
  /**
   * On SIGTERM, how long requests in progress and running jobs may take before the process
   * cuts them and exits (`DEFAULT_SHUTDOWN_GRACE_MS` when unset).
   */
  readonly shutdownGraceMs?: number;
  /** Where e-mails go out (password resets, address checks); none sent when unset. */
  readonly mail?: MailSettings;
  /** The bearer token a Prometheus scraper sends for `GET /metrics`; no metrics when unset. */
  readonly metricsToken?: string;
  /** Media on an S3-compatible store (S3_BUCKET…); under `DATA_DIR/media` when unset. */
  readonly s3?: S3Settings;
}

export interface MailSettings {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465` (TLS from the start). */
  readonly smtpUrl: string;
  /** The sender, e.g. `Socialdapres <no-reply@social.example>`. */
  readonly from: string;
}

/** Below docker's 10 s between SIGTERM and SIGKILL, with room to close the database. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 8_000;

export interface DeliverySettings {
  /** Time to open a connection to another server. */
  readonly connectTimeoutMs: number;
  /** Time for a whole request to another server. */
  readonly requestTimeoutMs: number;
  /** Jobs a worker process runs at once. */
  readonly concurrency: number;
  /** Jobs of one host leased at once, across the worker processes. */
  readonly perHostConcurrency: number;
}

export const DEFAULT_DELIVERY: DeliverySettings = {
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  concurrency: 8,
  perHostConcurrency: 2,
};

/** proxy-addr's names for address ranges, accepted by Fastify's `trustProxy`. */
const PROXY_RANGE_NAMES = ["loopback", "linklocal", "uniquelocal"];

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [ip, prefix, ...rest] = entry.split("/");
  const family = isIP(ip ?? "");
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxySetting = z.string().transform((value, ctx): false | string[] => {
  const trimmed = value.trim();
  if (/^(false|off|no|none|0)$/i.test(trimmed)) return false;
  if (/^(true|yes|on|\*)$/i.test(trimmed)) {
    ctx.addIssue({
      code: "custom",
      message:
        "\"true\" would believe any client's X-Forwarded-For: list your proxy's addresses instead (e.g. 127.0.0.1 or 172.16.0.0/12)",
    });
    return z.NEVER;
  }
  if (/^\d+$/.test(trimmed)) {
    ctx.addIssue({
      code: "custom",
      message:
        "a hop count cannot tell your proxy from a client that connects directly: list your proxy's addresses instead (e.g. 127.0.0.1 or 172.16.0.0/12)",
    });
    return z.NEVER;
  }
  const entries = trimmed.split(",").map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isProxyAddress(entry));
  if (bad.length > 0) {
    ctx.addIssue({
      code: "custom",
      message: `not an IP address or CIDR range: ${bad.map((entry) => JSON.stringify(entry)).join(", ")} (give a comma-separated list such as 127.0.0.1,10.0.0.0/8, or false)`,
    });
    return z.NEVER;
  }
  return entries;
});

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"], {
    error: 'must be "true" or "false"',
  })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const environmentSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      'must start with "postgres://" (leave it unset for the embedded database)',
    )
    .optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  PORT: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535")
    .default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  ORIGIN: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://social.example" })
    .refine(isBareOrigin, "must be an origin only, without a path (https://social.example)")
    .optional(),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "must be one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  ROLE: z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` }).default("all"),
  INSTANCE_NAME: z.string().max(100, "must be at most 100 characters").default("Socialdapres"),
  INSTANCE_LANGUAGE: z.enum(["fr", "en"], { error: "must be fr or en" }).default("fr"),
  FEDERATION_ALLOW_PRIVATE_ADDRESS: booleanFlag.default(false),
  TRUST_PROXY: trustProxySetting.optional(),
  FEDERATION_CONNECT_TIMEOUT_SECONDS: wholeNumber(1, 600).default(
    DEFAULT_DELIVERY.connectTimeoutMs / 1000,
  ),
  FEDERATION_REQUEST_TIMEOUT_SECONDS: wholeNumber(1, 600).default(
    DEFAULT_DELIVERY.requestTimeoutMs / 1000,
  ),
  QUEUE_CONCURRENCY: wholeNumber(1, 256).default(DEFAULT_DELIVERY.concurrency),
  QUEUE_PER_HOST_CONCURRENCY: wholeNumber(1, 64).default(DEFAULT_DELIVERY.perHostConcurrency),
  DATABASE_CONNECT_TIMEOUT_SECONDS: wholeNumber(1, 600).default(10),
  DATABASE_MAX_CONNECTIONS: wholeNumber(1, 1_000).default(10),
  DATABASE_STATEMENT_TIMEOUT_SECONDS: wholeNumber(0, 3_600).default(30),
  SHUTDOWN_GRACE_SECONDS: wholeNumber(1, 600).default(DEFAULT_SHUTDOWN_GRACE_MS / 1000),
  SMTP_URL: z
    .url({
      protocol: /^smtps?$/,
      error: "must be an smtp:// or smtps:// URL such as smtps://user:password@mail.example:465",
    })
    .refine((value) => Boolean(URL.parse(value)?.hostname), "must name the mail server's host")
    .optional(),
  SMTP_FROM: z
    .string()
    .max(200, "must be at most 200 characters")
    .regex(
      /^[^\r\n]*@[^\r\n]*$/,
      "must be an address, alone or with a name: Socialdapres <no-reply@social.example>",
    )
    .optional(),
  METRICS_TOKEN: z
    .string()
    .min(24, "must be at least 24 characters (e.g. the output of: openssl rand -hex 32)")
    .max(256, "must be at most 256 characters")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces (openssl rand -hex 32)")
    .optional(),
  ...s3Variables(),
});

/** S3_BUCKET turns the S3 store on; the others say where and how to reach it. */
function s3Variables() {
  return {
    S3_BUCKET: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        "must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
      )
      .optional(),
    S3_ENDPOINT: z
      .url({
        protocol: /^https?$/,
        error: "must be the store's http(s) URL, such as https://s3.fr-par.scw.cloud",
      })
      .optional(),
    S3_REGION: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/, "must be a region name such as us-east-1 or fr-par")
      .default("us-east-1"),
    S3_ACCESS_KEY_ID: z.string().max(256, "must be at most 256 characters").optional(),
    S3_SECRET_ACCESS_KEY: z.string().max(256, "must be at most 256 characters").optional(),
    S3_FORCE_PATH_STYLE: booleanFlag.default(false),
    S3_PUBLIC_URL: z
      .url({
        protocol: /^https?$/,
        error:
          "must be an http(s) URL where browsers read the bucket, such as https://media.social.example",
      })
      .refine(
        (value) => !URL.parse(value)?.search && !URL.parse(value)?.hash,
        "must be a base URL without ?query or #fragment",
      )
      .optional(),
  };
}

type Environment = z.infer<typeof environmentSchema>;

/** The S3 settings, or the problems of a half-given configuration. */
function s3Settings(e: Environment): { settings?: S3Settings; problems: string[] } {
  const others = (
    ["S3_ENDPOINT", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PUBLIC_URL"] as const
  ).filter((name) => e[name] !== undefined);
  if (!e.S3_BUCKET) {
    return {
      problems: others.map(
        (name) =>
          `${name}: is set but S3_BUCKET is not: set S3_BUCKET to keep media on S3, or unset ${name} to keep them in DATA_DIR/media`,
      ),
    };
  }
  if ((e.S3_ACCESS_KEY_ID === undefined) !== (e.S3_SECRET_ACCESS_KEY === undefined)) {
    const missing = e.S3_ACCESS_KEY_ID === undefined ? "S3_ACCESS_KEY_ID" : "S3_SECRET_ACCESS_KEY";
    return {
      problems: [
        `${missing}: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both (or neither, to use the AWS_* variables or the machine's role)`,
      ],
    };
  }
  return {
    problems: [],
    settings: {
      bucket: e.S3_BUCKET,
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      publicUrl: e.S3_PUBLIC_URL?.replace(/\/+$/, ""),
    },
  };
}

function wholeNumber(min: number, max: number) {
  return z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(min, `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`);
}

/** Checked with the other variables, so that every problem is reported at once. */
function isBareOrigin(value: string): boolean {
  // Zod runs this even when the URL check failed: that problem is reported already.
  const url = URL.parse(value);
  if (!url) return true;
  return url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
}

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; problems: string[] };

/** Reads the configuration from environment variables; every problem is reported, not just the first. */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  // An empty variable is treated as unset, as shells and compose files often produce them.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    // One line per variable: its first problem is the one to fix.
    const problems = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const name = issue.path.join(".");
      if (!problems.has(name)) problems.set(name, `${name}: ${issue.message}`);
    }
    return { ok: false, problems: [...problems.values()] };
  }
  const e = parsed.data;
  const origin = new URL(e.ORIGIN ?? `http://localhost:${e.PORT}`);
  if (e.ROLE !== "all" && !e.DATABASE_URL) {
    return {
      ok: false,
      problems: [
        `ROLE: "${e.ROLE}" needs DATABASE_URL: the embedded database serves a single process (use ROLE=all)`,
      ],
    };
  }
  const s3 = s3Settings(e);
  if (s3.problems.length > 0) return { ok: false, problems: s3.problems };
  const dataDir = resolve(e.DATA_DIR);
  return {
    ok: true,
    config: {
      origin,
      host: e.HOST,
      port: e.PORT,
      dataDir,
      database: e.DATABASE_URL
        ? {
            kind: "postgres",
            url: e.DATABASE_URL,
            connectTimeoutSeconds: e.DATABASE_CONNECT_TIMEOUT_SECONDS,
            maxConnections: e.DATABASE_MAX_CONNECTIONS,
            // 0 turns it off.
            statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000,
          }
        : { kind: "pglite", dataDir: resolve(dataDir, "db") },
      logLevel: e.LOG_LEVEL,
      role: e.ROLE,
      instanceName: e.INSTANCE_NAME,
      instanceLanguage: e.INSTANCE_LANGUAGE,
      allowPrivateAddress: e.FEDERATION_ALLOW_PRIVATE_ADDRESS,
      trustProxy: e.TRUST_PROXY ?? false,
      delivery: {
        connectTimeoutMs: e.FEDERATION_CONNECT_TIMEOUT_SECONDS * 1000,
        requestTimeoutMs: e.FEDERATION_REQUEST_TIMEOUT_SECONDS * 1000,
        concurrency: e.QUEUE_CONCURRENCY,
        perHostConcurrency: e.QUEUE_PER_HOST_CONCURRENCY,
      },
      shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
      mail: e.SMTP_URL
        ? { smtpUrl: e.SMTP_URL, from: e.SMTP_FROM ?? defaultSender(e.INSTANCE_NAME, origin) }
        : undefined,
      metricsToken: e.METRICS_TOKEN,
      s3: s3.settings,
    },
  };
}

/** `Name <no-reply@host>`, the name quoted when it holds characters an address header reserves. */
export function defaultSender(instanceName: string, origin: URL): string {
  const name = instanceName.replace(/["\\\r\n]/g, "").trim() || "Socialdapres";
  const quoted = /^[\p{L}\p{N} '._-]+$/u.test(name) ? name : `"${name}"`;
  return `${quoted} <no-reply@${origin.hostname}>`;
}
