import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { members } from "./accounts.ts";

/**
 * Each request to link a main fediverse account: the one direct message sent to
 * that account (its reply, matched by `note_iri`, confirms the link), and the
 * rate limit (a few requests per member per day) so nobody can spam a stranger.
 */
export const trackerLinkRequests = pgTable(
  "tracker_link_requests",
  {
    id: uuid("id").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    actorIri: text("actor_iri").notNull(),
    noteIri: text("note_iri").notNull(),
    requestedAt: timestamp("requested_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    uniqueIndex("tracker_link_requests_note_idx").on(t.noteIri),
    index("tracker_link_requests_member_idx").on(t.memberId, t.requestedAt),
  ],
);

/**
 * The direct messages the instance actor sent (question, link request, answers), as sent:
 * their ids are served to their one addressee (signed fetch) and to nobody else.
 */
export const directMessages = pgTable(
  "direct_messages",
  {
    iri: text("iri").primaryKey(),
    /** Whose messages: they go with the member's account. */
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    recipientIri: text("recipient_iri").notNull(),
    note: jsonb("note").notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("direct_messages_recipient_idx").on(t.recipientIri, t.sentAt)],
);
