import type { FastifyInstance } from "fastify";
import { findNul, nulMessage } from "../shared/input.ts";

/** `%00` anywhere in a path or query string (a raw NUL never gets past Node's HTTP parser). */
const ENCODED_NUL = /%00/i;

/**
 * Refuses, before any route or Fedify sees them, requests carrying a NUL character
 * (U+0000): PostgreSQL cannot store one in text, so a NUL that reached a query would be
 * a 500. Register it before the Fedify bridge: hooks run in the order they are added.
 * Bodies read as raw bytes (inboxes, the C2S outbox) are checked where they are parsed.
 */
export function registerInputGuards(app: FastifyInstance): void {
  app.addHook("onRequest", async (request, reply) => {
    if (ENCODED_NUL.test(request.url)) {
      return reply.status(400).send({
        error: "The address contains a NUL character (%00) in its path or query string: remove it.",
      });
    }
  });

  app.addHook("preValidation", async (request, reply) => {
    const path = findNul(request.body);
    if (path !== undefined) return reply.status(422).send({ error: nulMessage(path) });
  });
}
