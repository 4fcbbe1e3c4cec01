import { errorChain } from "../shared/errors.ts";
import type { DatabaseConfig } from "./database.ts";

interface ErrorFields {
  name?: string;
  code?: string;
  message?: string;
  address?: string;
  port?: number;
  hostname?: string;
  severity?: string;
  seconds?: number;
}

/**
 * One line that says why the database could not be opened and what to do, for the entry
 * points: drizzle wraps every driver error in "Failed query: …", which says neither.
 */
export function explainDatabaseError(error: unknown, database: DatabaseConfig): string {
  const chain = errorChain<ErrorFields>(error);
  if (database.kind === "postgres") {
    const line = explainPostgres(chain, database.url);
    if (line) return line;
  }
  // The innermost message is the driver's own; drizzle's adds only the SQL.
  const innermost = chain.findLast((e) => e.message) ?? { message: String(error) };
  return `Could not open the database: ${firstLine(innermost.message ?? "")}`;
}

function explainPostgres(chain: ErrorFields[], url: string): string | undefined {
  const target = serverOf(url);
  const at = `PostgreSQL at ${target.host}:${target.port}`;
  const network = chain.find((e) => typeof e.code === "string" && !isSqlState(e));
  switch (network?.code) {
    case "ECONNREFUSED":
      return `Cannot connect to PostgreSQL at ${network.address ?? target.host}:${network.port ?? target.port}: connection refused. Is it running? Check DATABASE_URL.`;
    case "ENOTFOUND":
      return `Cannot connect to PostgreSQL: host "${network.hostname ?? target.host}" does not resolve. Check the host name in DATABASE_URL.`;
    case "EAI_AGAIN":
      return `Cannot connect to PostgreSQL: host "${network.hostname ?? target.host}" could not be resolved (no answer from DNS). Check your network and DATABASE_URL.`;
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT": {
      const seconds = network.seconds ?? target.connectTimeout;
      return `Cannot connect to ${at}: no answer${seconds ? ` within ${seconds} s` : ""}. Is the host right, and does no firewall stand in the way? Check DATABASE_URL.`;
    }
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `Cannot connect to ${at}: the network cannot reach that host. Check DATABASE_URL.`;
  }
  const server = chain.find(isSqlState);
  if (!server) return undefined;
  const message = firstLine(server.message ?? "");
  const code = server.code ?? "";
  if (code === "3D000") {
    const name = /database "(.*)" does not exist/.exec(message)?.[1] ?? target.database;
    const user = target.user ? ` -U ${target.user}` : "";
    return `${at}: database "${name}" does not exist: create it with \`createdb -h ${target.host} -p ${target.port}${user} ${name}\` or fix DATABASE_URL.`;
  }
  if (code.startsWith("28")) {
    return `${at} refused the log-in: ${message}. Check the user and password in DATABASE_URL.`;
  }
  if (code === "42501") {
    return `${at}: ${message}. The user in DATABASE_URL must be allowed to create tables in the database (make it the database's owner).`;
  }
  if (code === "57P03") return `${at}: ${message}. Try again in a moment.`;
  return `${at}: ${message}.`;
}

/** A PostgreSQL server error carries a five-character SQLSTATE and a severity. */
function isSqlState(e: ErrorFields): boolean {
  return typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && e.severity !== undefined;
}

function serverOf(url: string) {
  const parsed = URL.parse(url);
  return {
    host: parsed?.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost",
    port: parsed?.port || "5432",
    user: decodeURIComponent(parsed?.username ?? ""),
    connectTimeout: Number(parsed?.searchParams.get("connect_timeout")) || undefined,
    database: decodeURIComponent(parsed?.pathname.slice(1) ?? "") || "(default)",
  };
}

const firstLine = (text: string) => text.split("\n")[0]?.trim() ?? "";

/** Network errors and postgres.js's own codes: the server could not be reached, or the connection broke. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/**
 * Whether a query failed because the database is unavailable for now (unreachable, restarting,
 * out of connections, or too slow: `statement_timeout`), not because of the query: a request
 * that meets it may succeed if tried again in a moment.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return errorChain<ErrorFields>(error).some((e) => {
    const code = e.code;
    if (typeof code !== "string") return false;
    if (isSqlState(e)) {
      // connection_exception, too_many_connections, query_canceled (statement_timeout),
      // admin_shutdown, crash_shutdown, cannot_connect_now
      return code.startsWith("08") || ["53300", "57014", "57P01", "57P02", "57P03"].includes(code);
    }
    return UNREACHABLE_CODES.has(code);
  });
}

/**
 * True when the database could not write because its disk is full (SQLSTATE 53100,
 * disk_full, as PostgreSQL and PGlite report it): the write did not happen, and nothing
 * already stored is lost; the request may be sent again once the admin freed space.
 */
export function isDiskFull(error: unknown): boolean {
  return errorChain<ErrorFields>(error).some((e) => isSqlState(e) && e.code === "53100");
}

/**
 * True when the database answers but lacks the app's tables (SQLSTATE 42P01 undefined_table,
 * 3F000 invalid_schema_name): it was emptied, or dropped and created again, under the running
 * app. Not the client's doing: the server answers 503 until the database is restored.
 */
export function isSchemaMissing(error: unknown): boolean {
  return errorChain<ErrorFields>(error).some(
    (e) => isSqlState(e) && (e.code === "42P01" || e.code === "3F000"),
  );
}

/**
 * A write refused by a unique index (SQLSTATE 23505), whichever driver reports it; of the
 * index `index` when given (both drivers name it in the message).
 */
export function isUniqueViolation(error: unknown, index?: string): boolean {
  return errorChain<{ code?: unknown; message?: unknown }>(error).some(
    (e) => e.code === "23505" && (!index || String(e.message).includes(`"${index}"`)),
  );
}
