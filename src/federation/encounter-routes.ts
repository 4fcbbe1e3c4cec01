import type { FastifyInstance } from "fastify";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import { isPrivateOnly } from "../encounters/visibility.ts";
import { encounterToTombstone } from "./mappers/note.ts";

/**
 * What Fedify leaves to Fastify at a Note's id: a browser (it wants HTML) is
 * sent to the encounter's page; a deleted encounter answers 410 Gone with
 * its Tombstone, which tells other servers to drop their copy.
 */
export function registerEncounterRoutes(
  app: FastifyInstance,
  deps: { encounters: EncountersRepository },
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
}
