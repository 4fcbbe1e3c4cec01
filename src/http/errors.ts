import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isDatabaseUnavailable, isDiskFull, isSchemaMissing } from "../db/database-errors.ts";
import { isPhotoRejectedError } from "../media/photo-processor.ts";
import { isMediaStoreUnavailable } from "../media/s3-media-storage.ts";
import { isDomainError } from "../shared/errors.ts";
import type { HtmlErrorPages } from "../web/error-pages.ts";

const STATUS_BY_CODE = {
  invalid: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
} as const;

/** How long a client is asked to wait while the database lacks its tables. */
const SCHEMA_MISSING_RETRY_AFTER_SECONDS = 30;

/** How long a client is asked to wait before sending again a write the full disk refused. */
const DISK_FULL_RETRY_AFTER_SECONDS = 60;

const DISK_FULL =
  "The server's disk is full: nothing of this request was stored. Send it again later; the administrator must free space (the server has logged it).";

/** What a 503 asks the client to wait while the database is unavailable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

const NUL_IN_TEXT =
  "A text in the request contains a NUL character (U+0000), which cannot be stored: remove it.";
const DATE_OUT_OF_RANGE =
  "A date in the request is out of range: use an ISO 8601 date between the years 0001 and 9999.";

/** SQLSTATE codes of values PostgreSQL cannot read, and what the person should change. */
const REFUSED_VALUES: Record<string, string> = {
  // invalid_text_representation, e.g. an id that is not a UUID
  "22P02":
    "A value in the request is not in the expected form (ids are UUIDs, numbers are numbers): check it against the API documentation.",
  // character_not_in_repertoire (text) and untranslatable_character (JSON): a NUL
  "22021": NUL_IN_TEXT,
  "22P05": NUL_IN_TEXT,
  // datetime_field_overflow, invalid_datetime_format
  "22008": DATE_OUT_OF_RANGE,
  "22007": DATE_OUT_OF_RANGE,
  // numeric_value_out_of_range
  "22003": "A number in the request is too large or too small.",
};

/** The message for a database error caused by a value of the request, if it is one. */
function refusedValueMessage(error: unknown): string | undefined {
  // drizzle wraps the driver's error (PGlite or postgres.js) as its cause.
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && Object.hasOwn(REFUSED_VALUES, code))
      return REFUSED_VALUES[code];
  }
  return undefined;
}

/** Why the database could not serve a request, and what the client is told. */
interface DatabaseTrouble {
  status: 503 | 507;
  retryAfterSeconds: number;
  error: string;
  /** The log line: a warning for an outage that heals, an error for what needs the admin. */
  log: { level: "warn" | "error"; message: string };
}

/**
 * The database's own trouble behind an error, if it is one: unreachable (503), without its
 * tables (503), or its disk full (507); or the media store (S3) failing (503). Nothing the client did wrong, nothing stored is lost,
 * and a peer server retries its delivery instead of dropping it.
 */
export function databaseTroubleOf(error: unknown): DatabaseTrouble | undefined {
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      error: `The server cannot reach its database right now: try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds.`,
      log: { level: "warn", message: "the database is unavailable" },
    };
  }
  if (isSchemaMissing(error)) {
    return {
      status: 503,
      retryAfterSeconds: SCHEMA_MISSING_RETRY_AFTER_SECONDS,
      error:
        "The server's database lacks its tables (it was emptied or replaced): try again later; the administrator must restore it, or restart the server so that it migrates.",
      log: {
        level: "error",
        message:
          "the database lacks the app's tables: restore it, or restart so that the migrations run",
      },
    };
  }
  if (isMediaStoreUnavailable(error)) {
    return {
      status: 503,
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS * 6,
      error:
        "The server cannot reach its media store right now: nothing of this request was stored. Send it again in a minute.",
      log: { level: "error", message: "the media store (S3) failed: check S3_* and the bucket" },
    };
  }
  if (isDiskFull(error)) {
    return {
      status: 507,
      retryAfterSeconds: DISK_FULL_RETRY_AFTER_SECONDS,
      error: DISK_FULL,
      log: { level: "error", message: "the database's disk is full: a write was refused" },
    };
  }
  return undefined;
}

/** Answers a request that met the database's trouble (see `databaseTroubleOf`). */
export function replyDatabaseTrouble(
  request: FastifyRequest,
  reply: FastifyReply,
  trouble: DatabaseTrouble,
  error: unknown,
): FastifyReply {
  request.log[trouble.log.level]({ err: error }, trouble.log.message);
  return reply
    .status(trouble.status)
    .header("retry-after", String(trouble.retryAfterSeconds))
    .send({ error: trouble.error });
}

/**
 * One shape for every error answer: `{ "error": "what is wrong and how to fix it" }`.
 * Errors a person can fix keep their message; anything unexpected is logged
 * and answered without internals.
 */
export function registerErrorHandling(app: FastifyInstance, html?: HtmlErrorPages): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (html?.wanted(request)) return htmlErrorAnswer(html, error, request, reply);
    if (isDomainError(error)) {
      return reply.status(STATUS_BY_CODE[error.code]).send({ error: error.message });
    }
    // Too large 413, not a photo 415, damaged 422: the person must send another file.
    if (isPhotoRejectedError(error)) {
      return reply.status(error.status).send({ error: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ error: error.message });
    }
    // A value the edge's checks let through and PostgreSQL could not read: the request's fault,
    // but logged, since a route should have refused it with a clearer message.
    const refused = refusedValueMessage(error);
    if (refused) {
      request.log.warn({ err: error }, "the database refused a value of the request");
      return reply.status(400).send({ error: refused });
    }
    // Nothing the client did wrong, and nothing lost: it may try again later.
    const trouble = databaseTroubleOf(error);
    if (trouble) return replyDatabaseTrouble(request, reply, trouble, error);
    request.log.error({ err: error }, "request failed");
    return reply
      .status(500)
      .send({ error: "Something went wrong on the server; it has been logged." });
  });

  app.setNotFoundHandler((request, reply) =>
    html?.wanted(request)
      ? html.send(request, reply, 404)
      : reply
          .status(404)
          .send({ error: `Nothing at ${request.method} ${request.url.split("?")[0]}.` }),
  );
}

/** The same decisions as the JSON answers, as a page for a browser. */
function htmlErrorAnswer(
  html: HtmlErrorPages,
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isDomainError(error))
    return html.send(request, reply, STATUS_BY_CODE[error.code], error.message);
  if (isPhotoRejectedError(error)) return html.send(request, reply, error.status, error.message);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return html.send(request, reply, status, error.message);
  const refused = refusedValueMessage(error);
  if (refused) return html.send(request, reply, 400, refused);
  const trouble = databaseTroubleOf(error);
  if (trouble) {
    request.log[trouble.log.level]({ err: error }, trouble.log.message);
    reply.header("retry-after", String(trouble.retryAfterSeconds));
    return html.send(request, reply, trouble.status, trouble.error);
  }
  request.log.error({ err: error }, "request failed");
  return html.send(request, reply, 500);
}
