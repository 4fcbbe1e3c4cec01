import type { FastifyInstance } from "fastify";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import type { RepliesRepository } from "../encounters/replies-repository.ts";
import { isPrivateOnly } from "../encounters/visibility.ts";
import { encounterToTombstone } from "./mappers/note.ts";
import { replyToTombstone } from "./mappers/reply-note.ts";

/**
 * What Fedify leaves to Fastify at a Note's id: a browser (it wants HTML) is
 * sent to the encounter's page; a deleted encounter answers 410 Gone with
 * its Tombstone, which tells other servers to drop their copy.
 */
export function registerEncounterRoutes(
  app: FastifyInstance,
  deps: { encounters: EncountersRepository; replies: RepliesRepository },
): void {
  app.get<{ Params: { username: string; id: string } }>(
    "/users/:username/encounters/:id",
    async (request, reply) => {
      const { username, id } = request.params;
      const encounter = await deps.encounters.findById(id);
      // A private encounter does not exist for anyone else, not even as a Tombstone.
      if (
        !encounter?.isLocal ||
        isPrivateOnly(encounter) ||
        encounter.author.username !== username
      ) {
        return reply.code(404).send({ error: `No encounter ${id} by ${username} here.` });
      }
      reply.header("vary", "Accept");
      if (encounter.deletedAt) {
        const tombstone = await encounterToTombstone(encounter).toJsonLd({ format: "compact" });
        return reply.code(410).type("application/activity+json").send(JSON.stringify(tombstone));
      }
      if (!encounter.url) return reply.code(404).send({ error: `Encounter ${id} has no page.` });
      return reply.redirect(encounter.url, 302);
    },
  );

  // The same for a reply written here: its place under the encounter, or 410 once deleted.
  app.get<{ Params: { username: string; id: string } }>(
    "/users/:username/replies/:id",
    async (request, reply) => {
      const { username, id } = request.params;
      const found = await deps.replies.findById(id);
      if (!found?.isLocal || found.author.username !== username) {
        return reply.code(404).send({ error: `No reply ${id} by ${username} here.` });
      }
      reply.header("vary", "Accept");
      if (found.deletedAt) {
        const tombstone = await replyToTombstone(found).toJsonLd({ format: "compact" });
        return reply.code(410).type("application/activity+json").send(JSON.stringify(tombstone));
      }
      if (!found.url) return reply.code(404).send({ error: `Reply ${id} has no page here.` });
      return reply.redirect(found.url, 302);
    },
  );
}
