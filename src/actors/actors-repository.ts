import { randomUUID } from "node:crypto";
import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import {
  actors,
  encounterParticipants,
  encounterReactions,
  encounterReplies,
  encounters,
  follows,
  notifications,
} from "../db/schema.ts";
import { isUuid } from "../shared/input.ts";

export type ActorRow = typeof actors.$inferSelect;

/** What the instance keeps of a remote actor, whatever software it runs. */
export interface RemoteActorRecord {
  iri: string;
  type: string;
  username: string;
  host: string;
  name: string;
  summary: string;
  url: string | null;
  inboxUrl: string;
  sharedInboxUrl: string | null;
  followersUrl: string | null;
  avatarUrl: string | null;
  manuallyApprovesFollowers: boolean;
  /** The accounts it says are also its own (`alsoKnownAs`), as read now; never stored. */
  alsoKnownAs?: string[];
}

/** What we keep of an actor, as the record it was stored from. */
export function actorRowToRecord(row: ActorRow): RemoteActorRecord {
  return {
    iri: row.iri,
    type: row.type,
    username: row.username,
    host: row.host,
    name: row.name,
    summary: row.summary,
    url: row.url,
    inboxUrl: row.inboxUrl,
    sharedInboxUrl: row.sharedInboxUrl,
    followersUrl: row.followersUrl,
    avatarUrl: row.avatarUrl,
    manuallyApprovesFollowers: row.manuallyApprovesFollowers,
  };
}

export interface ActorsRepository {
  findByIri(iri: string): Promise<ActorRow | undefined>;
  findByMemberId(memberId: string): Promise<ActorRow | undefined>;
  /** By the row's own id (what the Mastodon API calls an account id); undefined for a non-UUID. */
  findById(id: string): Promise<ActorRow | undefined>;
  /** A known actor by its handle (`username`, `host`), compared case-insensitively. */
  findByHandle(username: string, host: string): Promise<ActorRow | undefined>;
  /** Inserts or refreshes a remote actor; never touches a local member's actor. */
  upsertRemote(record: RemoteActorRecord): Promise<ActorRow>;
  /**
   * Refreshes a remote actor we already keep (an `Update` of it, a fresh fetch); undefined,
   * with nothing stored, when we keep none or the IRI is a member's.
   */
  refreshRemote(record: RemoteActorRecord): Promise<ActorRow | undefined>;
  deleteRemote(iri: string): Promise<boolean>;
  /** A remote actor moved (its `Move`, checked): where to. */
  markMoved(iri: string, movedTo: string): Promise<void>;
  /**
   * The same as `deleteRemote`, but the row stays (a suspended account's mark): its encounters,
   * replies, follows, notifications, co-signatures and likes go.
   */
  emptyRemote(iri: string): Promise<boolean>;
}

/** The columns of a record (what it says of its aliases is read, not kept). */
function columnsOf(record: RemoteActorRecord) {
  const { alsoKnownAs: _, ...columns } = record;
  return columns;
}

export function createActorsRepository(db: Db): ActorsRepository {
  async function findByIri(iri: string) {
    const [row] = await db.select().from(actors).where(eq(actors.iri, iri));
    return row;
  }
  /**
   * Forgets what a remote actor gave us. Its encounters, replies, follows and notifications go
   * (with the row by cascade, or one by one when the row stays to hold a moderation mark);
   * what it gave to others' encounters goes too: its co-signatures (the participant stays,
   * unnamed), its likes and boosts, and the counts they made.
   */
  async function forget(iri: string, options: { keepRow: boolean }) {
    return db.transaction(async (tx) => {
      const [gone] = await tx
        .select({ id: actors.id })
        .from(actors)
        .where(and(eq(actors.iri, iri), isNull(actors.memberId)));
      if (!gone) return false;
      await tx
        .update(encounterParticipants)
        .set({ cosignState: "pending", cosignActivityIri: null, cosignedAt: null })
        .where(eq(encounterParticipants.actorId, gone.id));
      if (options.keepRow) {
        await tx.delete(notifications).where(eq(notifications.actorId, gone.id));
        await tx.delete(encounterReplies).where(eq(encounterReplies.authorId, gone.id));
        await tx.delete(encounters).where(eq(encounters.authorId, gone.id));
        await tx
          .delete(follows)
          .where(or(eq(follows.followerId, gone.id), eq(follows.followingId, gone.id)));
      } else {
        await tx.delete(actors).where(eq(actors.id, gone.id));
      }
      const reactions = await tx
        .delete(encounterReactions)
        .where(eq(encounterReactions.actorIri, iri))
        .returning();
      for (const { kind, encounterId } of reactions) {
        await tx
          .update(encounters)
          .set(
            kind === "like"
              ? { likesCount: sql`greatest(${encounters.likesCount} - 1, 0)` }
              : { announcesCount: sql`greatest(${encounters.announcesCount} - 1, 0)` },
          )
          .where(eq(encounters.id, encounterId));
      }
      return true;
    });
  }

  return {
    findByIri,
    async findByMemberId(memberId) {
      const [row] = await db.select().from(actors).where(eq(actors.memberId, memberId));
      return row;
    },
    async findById(id) {
      if (!isUuid(id)) return undefined;
      const [row] = await db.select().from(actors).where(eq(actors.id, id));
      return row;
    },
    async findByHandle(username, host) {
      const [row] = await db
        .select()
        .from(actors)
        .where(
          and(
            eq(sql`lower(${actors.username})`, username.toLowerCase()),
            eq(sql`lower(${actors.host})`, host.toLowerCase()),
          ),
        )
        .limit(1);
      return row;
    },
    async upsertRemote(record) {
      const existing = await findByIri(record.iri);
      if (existing?.memberId) return existing;
      const values = { ...columnsOf(record), fetchedAt: new Date() };
      await db
        .insert(actors)
        .values({ id: randomUUID(), ...values })
        .onConflictDoUpdate({ target: actors.iri, set: values });
      const row = await findByIri(record.iri);
      if (!row) throw new Error(`actor ${record.iri} vanished after upsert`);
      return row;
    },
    async refreshRemote(record) {
      const [row] = await db
        .update(actors)
        .set({ ...columnsOf(record), fetchedAt: new Date() })
        .where(and(eq(actors.iri, record.iri), isNull(actors.memberId)))
        .returning();
      return row;
    },
    async markMoved(iri, movedTo) {
      await db
        .update(actors)
        .set({ movedTo })
        .where(and(eq(actors.iri, iri), isNull(actors.memberId)));
    },
    deleteRemote: (iri) => forget(iri, { keepRow: false }),
    emptyRemote: (iri) => forget(iri, { keepRow: true }),
  };
}
