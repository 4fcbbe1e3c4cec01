import { bigint, integer, pgTable } from "drizzle-orm/pg-core";

/**
 * One row: a number that every transaction changing what a served ActivityPub document is made
 * of (members, their keys, actors, encounters, participants, replies, reactions, the instance's
 * settings; and for the visitor pages the actor counters and domain policies, migration
 * `page_generation_triggers`) raises by one when it commits — deferred triggers, migration `document_generation`
 * (the triggers are in its SQL). A process keeps a document only as long as this number has
 * not moved (src/http/document-cache.ts).
 */
export const documentGeneration = pgTable("document_generation", {
  id: integer("id").primaryKey(),
  generation: bigint("generation", { mode: "number" }).notNull().default(0),
});
