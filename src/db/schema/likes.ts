import { pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

/**
 * What our own members liked: one of our encounters or a stored remote one, by its IRI.
 * The activity IRI is the `Like` we sent (or would send), kept so the `Undo` names it.
 * Counting stays in `encounter_reactions` (for local encounters) or on the author's server.
 */
export const memberLikes = pgTable(
  "member_likes",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    objectIri: text("object_iri").notNull(),
    activityIri: text("activity_iri").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("member_likes_activity_idx").on(t.activityIri),
    uniqueIndex("member_likes_once_idx").on(t.memberId, t.objectIri),
  ],
);
