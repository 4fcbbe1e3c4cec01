import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { INSTANCE_AVATAR_PATH } from "../shared/local-urls.ts";

const AVATAR = readFileSync(new URL("./assets/instance-avatar.png", import.meta.url));

const directMessageParams = z.object({
  kind: z.enum(["weekly-question", "link-request", "answer"]),
  id: z.uuid(),
});

/**
 * The instance actor's avatar, and what a browser finds at the id of one of its direct
 * messages: the member's tracker, where the question is answered and the linked account
 * set (through the log-in page, which comes back there). The ActivityPub document itself is
 * served to its addressee only (src/federation/weekly-question-delivery.ts); anyone else
 * asking for JSON gets 404.
 */
export function registerInstancePages(app: FastifyInstance): void {
  app.get(INSTANCE_AVATAR_PATH, async (_request, reply) =>
    reply.type("image/png").header("cache-control", "public, max-age=86400").send(AVATAR),
  );

  app.get("/activities/:kind/:id", async (request, reply) => {
    // A browser; a server asking for JSON (Fedify found no message it may read) gets 404.
    const wantsHtml = (request.headers.accept ?? "").includes("text/html");
    if (!directMessageParams.safeParse(request.params).success || !wantsHtml) {
      return reply.status(404).send({ error: "No such message here." });
    }
    return reply.redirect("/tracker", 303);
  });
}
