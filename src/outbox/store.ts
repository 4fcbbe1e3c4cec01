import { sql } from "drizzle-orm";
import type { Database, Db } from "../db/database.ts";
import { outboxEvents } from "../db/schema.ts";
import type { DomainEvent } from "../shared/events.ts";

/** What writes an event: the transaction of the change it reports. */
export type EventWriter = Pick<Db, "insert">;

/** An event row as its holder sees it: `attempts` says which holder it is (0: its writer). */
export interface HeldEvent {
  id: number;
  attempts: number;
  event: DomainEvent;
}

/**
 * The SQL of `outbox_events`. A row is held by whoever last leased it, named by
 * `attempts`: its writer holds it at 0, and each claim by a relay adds one, so a
 * holder whose lease was taken over can neither renew nor delete it any more.
 * No statement here keeps a transaction open: PGlite is one connection, and the
 * subscribers run between these statements.
 */
export function createOutboxStore(database: Database, leaseMs: number) {
  const lease = sql`make_interval(secs => ${leaseMs / 1000}::double precision)`;

  return {
    async insert(writer: EventWriter, event: DomainEvent): Promise<HeldEvent> {
      const { type, ...payload } = event;
      const [row] = await writer
        .insert(outboxEvents)
        .values({ type, payload, lockedUntil: sql`clock_timestamp() + ${lease}` })
        .returning({ id: outboxEvents.id });
      if (!row) throw new Error(`the ${type} event was not written`);
      return { id: Number(row.id), attempts: 0, event };
    },

    /** A new lease for an event still held under `attempts`; false when someone else holds it. */
    async renew(held: HeldEvent): Promise<boolean> {
      const rows = await database.rows(sql`
        update outbox_events set locked_until = clock_timestamp() + ${lease}
        where id = ${held.id} and attempts = ${held.attempts}
        returning id`);
      return rows.length > 0;
    },

    /**
     * Leases the oldest event whose lease ran out (its writer, or the relay that took
     * it, died). SKIP LOCKED lets relays pass over each other's candidates; the new
     * lease, not a lock, keeps it theirs while it is dispatched.
     */
    async claimExpired(): Promise<HeldEvent | undefined> {
      const [row] = await database.rows<{
        id: string | number;
        attempts: number;
        type: string;
        payload: Record<string, unknown>;
      }>(sql`
        update outbox_events
        set locked_until = now() + ${lease}, attempts = attempts + 1
        where id = (
          select id from outbox_events
          where locked_until <= now()
          order by id
          limit 1
          for update skip locked)
        returning id, attempts, type, payload`);
      if (!row) return undefined;
      const event = { ...row.payload, type: row.type } as DomainEvent;
      return { id: Number(row.id), attempts: row.attempts, event };
    },

    /**
     * The replay failed for the database's sake (unreachable, disk full), not the event's: the
     * claim does not count towards dropping it. It waits for its lease to run out again.
     */
    async giveBackAttempt(held: HeldEvent): Promise<void> {
      await database.rows(
        sql`update outbox_events set attempts = attempts - 1
            where id = ${held.id} and attempts = ${held.attempts}`,
      );
    },

    /** Done: gone, unless another holder took it over meanwhile (it dispatches it again). */
    async remove(held: HeldEvent): Promise<void> {
      await database.rows(
        sql`delete from outbox_events where id = ${held.id} and attempts = ${held.attempts}`,
      );
    },
  };
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;
