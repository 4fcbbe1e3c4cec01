import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Domain events not yet handed to their subscribers (src/outbox/). A service writes
 * its event in the transaction of the change it reports, with a short lease
 * (`locked_until`) that keeps the writer the only one to dispatch it; the row is
 * deleted once dispatched. A row whose lease ran out lost its writer: the relay
 * claims it (`attempts` + 1, a new lease) and replays it.
 */
export const outboxEvents = pgTable(
  "outbox_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    type: text("type").notNull(),
    /** The event without its `type`, every activity id in it decided when it was written. */
    payload: jsonb("payload").notNull(),
    lockedUntil: timestamp("locked_until", { withTimezone: true, mode: "date" }).notNull(),
    /** 0 while its writer holds it; each replay by a relay adds one. */
    attempts: integer("attempts").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("outbox_events_lease_idx").on(t.lockedUntil, t.id)],
);
