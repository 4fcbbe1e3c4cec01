import type { FastifyError, FastifyInstance } from "fastify";
import { isPhotoRejectedError } from "../media/photo-processor.ts";
import { isDomainError } from "../shared/errors.ts";

const STATUS_BY_CODE = {
  invalid: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
} as const;

/**
 * One shape for every error answer: `{ "error": "what is wrong and how to fix it" }`.
 * Errors a person can fix keep their message; anything unexpected is logged
 * and answered without internals.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
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
    request.log.error({ err: error }, "request failed");
    return reply
      .status(500)
      .send({ error: "Something went wrong on the server; it has been logged." });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: `Nothing at ${request.method} ${request.url.split("?")[0]}.` }),
  );
}
