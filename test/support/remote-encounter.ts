import { randomUUID } from "node:crypto";
import type { ActorRow } from "../../src/actors/actors-repository.ts";
import type { App } from "../../src/app.ts";
import { encounters } from "../../src/db/schema.ts";

/**
 * A remote encounter as ingestion stores it, written straight into the table
 * (public and a minute old unless `values` say otherwise); returns its id.
 * Free of vitest, so benchmarks use it too.
 */
export async function insertRemoteEncounter(
  app: App,
  author: ActorRow,
  values: Partial<typeof encounters.$inferInsert> = {},
): Promise<string> {
  const id = randomUUID();
  await app.database.db.insert(encounters).values({
    id,
    iri: `${author.iri}/statuses/${id}`,
    url: `${author.url ?? author.iri}/${id}`,
    authorId: author.id,
    isLocal: false,
    text: "",
    visibility: "public",
    publishedAt: new Date(Date.now() - 60_000),
    ...values,
  });
  return id;
}
