import type { FastifyRequest } from "fastify";
import { DomainError } from "../shared/errors.ts";
import { idParamsSchema, UUID_EXAMPLE } from "../shared/input.ts";

/**
 * The `:id` of a route, checked to be a UUID before any query runs (PostgreSQL would
 * refuse it with an error). Another id names nothing: a 404, as for an id that is not
 * there, that says what an id looks like.
 */
export function idParam(
  request: FastifyRequest,
  what: "encounter" | "notification" | "reply" | "app",
): string {
  const parsed = idParamsSchema.safeParse(request.params);
  if (!parsed.success) {
    const given = String((request.params as { id?: unknown }).id).slice(0, 80);
    throw new DomainError(
      "not_found",
      `No ${what} ${JSON.stringify(given)}: ${what} ids are UUIDs such as ${UUID_EXAMPLE}, as the API gives them.`,
    );
  }
  return parsed.data.id;
}
