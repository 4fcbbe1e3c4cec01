import { randomUUID } from "node:crypto";
import { and, eq, getTableColumns, inArray, isNotNull, sql } from "drizzle-orm";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import { type Db, rowsOf } from "../db/database.ts";
import { actors, encounterParticipants, encounters, follows } from "../db/schema.ts";
import type { NotifiedFilter } from "../moderation/notified.ts";
import { inAnyBlockSql, type Relations } from "../moderation/relations.ts";
import type { CosignService } from "./cosign-service.ts";
import { PARTICIPANTS_MAX } from "./encounter-input.ts";
import type { EncountersRepository, EncounterView } from "./encounters-repository.ts";
import type { NotificationsService } from "./notifications-service.ts";
import type { ParticipantResolver } from "./participants.ts";
import {
  photoOf,
  type RemoteEncounterRecord,
  remoteEncounterRecordSchema,
  type ValidRemoteEncounterRecord as ValidRecord,
} from "./remote-encounter-record.ts";
import type { RemoteMentions } from "./remote-mentions.ts";
import type { RemotePhotos } from "./remote-photos.ts";
import type { RepliesService } from "./replies-service.ts";

export type { RemoteEncounterRecord } from "./remote-encounter-record.ts";

/** Actors we keep, read at once: by IRI, and the ids of those in any block. */
interface KnownActors {
  byIri: ReadonlyMap<string, ActorRow>;
  inAnyBlock: ReadonlySet<string>;
}

export type RemoteOutcome =
  | { status: "stored" | "updated" | "deleted" | "unchanged"; encounterId: string }
  | { status: "ignored"; reason: string }
  | { status: "mentioned"; memberIds: string[] };

/**
 * Remote posts tagged #Socialdapres that reach the instance become encounters
 * (`isLocal = false`) when they concern us: their author is followed by a
 * member, or they name a member. Everything else is ignored, never stored.
 * `actorIri` is who sent the activity (its signature already checked): only
 * the author may create, edit or delete their post.
 */
export interface RemoteEncountersService {
  receiveCreate(actorIri: string, record: RemoteEncounterRecord): Promise<RemoteOutcome>;
  /** An edit; an edit of a post we do not hold is read as a Create (it may add the tag). */
  receiveUpdate(actorIri: string, record: RemoteEncounterRecord): Promise<RemoteOutcome>;
  receiveDelete(actorIri: string, objectIri: string): Promise<RemoteOutcome>;
}

interface Participant {
  actor: ActorRow | null;
  plainName: string | null;
}

const ignored = (reason: string): RemoteOutcome => ({ status: "ignored", reason });

/** The members among the participants. */
function namedMembers(participants: readonly Participant[]): string[] {
  return participants.flatMap((p) => (p.actor?.memberId ? [p.actor.memberId] : []));
}

export function createRemoteEncountersService(deps: {
  db: Db;
  repository: EncountersRepository;
  actors: ActorsRepository;
  /** Finds an actor by IRI: known rows first, a fediverse lookup only for strangers. */
  resolver: ParticipantResolver;
  /** Nobody is named by an account they block, or that blocks them (src/moderation/relations.ts). */
  relations: Pick<Relations, "namable">;
  cosign: Pick<CosignService, "autoCosign" | "autoCosignAskedSql">;
  notifications: Pick<
    NotificationsService,
    "notifyNamed" | "namedNotificationsSql" | "forgetEncounter"
  >;
  /** Who may hear of a silenced author's encounters: its followers only (src/moderation/). */
  notified?: NotifiedFilter;
  /** Thumbnails of remote photos, fetched after the encounter is stored. */
  photos?: Pick<RemotePhotos, "schedule" | "merge" | "forget">;
  /** Posts that name a member without being encounters; without it they are ignored. */
  mentions?: RemoteMentions;
  /** A withdrawn encounter's replies go with it. */
  replies: Pick<RepliesService, "forgetEncounter">;
  now?: () => Date;
}): RemoteEncountersService {
  const { db, repository } = deps;
  const now = deps.now ?? (() => new Date());

  function validate(actorIri: string, record: RemoteEncounterRecord): ValidRecord | string {
    const parsed = remoteEncounterRecordSchema.safeParse(record);
    if (!parsed.success) return `unreadable note: ${parsed.error.issues[0]?.message}`;
    const valid = parsed.data;
    if (valid.authorIri !== actorIri) return "the sender is not the author (attributedTo ≠ actor)";
    // A server speaks only for its own posts: no Note ids minted on someone else's host.
    if (new URL(valid.iri).origin !== new URL(actorIri).origin) {
      return "the note's id is not on its author's server";
    }
    return valid;
  }

  async function isFollowedByMember(authorId: string): Promise<boolean> {
    const [row] = await db
      .select({ id: follows.id })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.followerId))
      .where(
        and(
          eq(follows.followingId, authorId),
          eq(follows.state, "accepted"),
          isNotNull(actors.memberId),
        ),
      )
      .limit(1);
    return row !== undefined;
  }

  /**
   * The actors we keep among these IRIs, by IRI, and the ids of those in any block (naming
   * needs no other check when the author is in none): one statement.
   */
  async function knownActors(iris: readonly string[]): Promise<KnownActors> {
    const rows =
      iris.length === 0
        ? []
        : await db
            .select({
              actor: getTableColumns(actors),
              // Qualified: drizzle writes a one-table select's columns bare, and a bare "id"
              // inside the subqueries would name the blocks' own column.
              inAnyBlock: inAnyBlockSql(sql`actors.id`, sql`actors.host`),
            })
            .from(actors)
            .where(inArray(actors.iri, [...new Set(iris)]));
    return {
      byIri: new Map(rows.map((row) => [row.actor.iri, row.actor])),
      inAnyBlock: new Set(rows.filter((row) => row.inAnyBlock).map((row) => row.actor.id)),
    };
  }

  /**
   * Mentions as participants: members and known actors from `known` (read at once with the
   * author), strangers looked up.
   */
  async function resolveParticipants(
    record: ValidRecord,
    author: ActorRow,
    known: KnownActors,
  ): Promise<Participant[]> {
    const seen = new Set<string>([author.iri]);
    const mentions = record.mentions.filter((m) => !seen.has(m.iri) && seen.add(m.iri));
    const resolved = await Promise.all(
      mentions.slice(0, PARTICIPANTS_MAX).map(async (mention): Promise<Participant> => {
        const actor = known.byIri.get(mention.iri) ?? (await findOrLookUp(mention.iri));
        // Someone we cannot reach is still named, by the name the author used.
        return actor
          ? { actor, plainName: null }
          : { actor: null, plainName: mention.name || mention.iri };
      }),
    );
    return deps.relations.namable(
      author.id,
      resolved.filter(
        (p, i) => !p.actor || resolved.findIndex((q) => q.actor?.id === p.actor?.id) === i,
      ),
      known.byIri.has(author.iri) ? known.inAnyBlock.has(author.id) : undefined,
    );
  }

  async function findOrLookUp(actorIri: string): Promise<ActorRow | undefined> {
    const known = await deps.actors.findByIri(actorIri);
    if (known) return known;
    return deps.resolver.resolve(actorIri).catch(() => undefined);
  }

  /** The members named who may be told of it (src/moderation/notified.ts). */
  async function toNotify(
    author: Pick<ActorRow, "id" | "iri" | "memberId">,
    participants: Participant[],
  ): Promise<string[]> {
    const named = namedMembers(participants);
    return deps.notified ? deps.notified(author, named) : named;
  }

  async function notify(
    encounterId: string,
    author: Pick<ActorRow, "id" | "iri" | "memberId">,
    participants: Participant[],
  ) {
    const memberIds = await toNotify(author, participants);
    await deps.notifications.notifyNamed(memberIds, encounterId, { authorId: author.id });
  }

  function contentOf(record: ValidRecord) {
    return {
      url: record.url,
      text: record.text,
      remoteContentHtml: record.contentHtml,
      keywords: record.keywords,
      visibility: record.visibility,
      photo: photoOf(record.photo),
      inReplyTo: record.inReplyTo,
      contentWarning: record.contentWarning,
      sensitive: record.sensitive,
      occurredOn: record.occurredOn,
    };
  }

  async function tombstone(existing: EncounterView): Promise<RemoteOutcome> {
    // As for our own encounters: the words and the photo go, the row stays as a tombstone.
    await db
      .update(encounters)
      .set({
        deletedAt: now(),
        text: "",
        remoteContentHtml: null,
        details: {},
        keywords: [],
        photo: null,
      })
      .where(eq(encounters.id, existing.id));
    await deps.notifications.forgetEncounter(existing.id);
    await deps.photos?.forget(existing.photo);
    await deps.replies.forgetEncounter(existing.id);
    return { status: "deleted", encounterId: existing.id };
  }

  /** The remote encounter `actorIri` may change, or why not. */
  async function ownedRemote(actorIri: string, objectIri: string) {
    const existing = await repository.findByIri(objectIri);
    if (!existing) return "no such encounter";
    if (existing.isLocal || existing.author.iri !== actorIri)
      return "only its author may change it";
    return existing;
  }

  /**
   * A new encounter, its participants and the naming notifications of `notified` in one
   * statement, which also tells whether a member named asked to co-sign automatically: no
   * transaction to open and commit, round trips fewer for every Note received. Undefined when
   * its IRI is already held (nothing else is written then). The other rows reference the row
   * the same statement inserts: PostgreSQL checks foreign keys at the end of the statement.
   */
  async function insertWithParticipants(
    values: typeof encounters.$inferInsert & { id: string; authorId: string },
    participants: Participant[],
    notified: readonly string[],
  ): Promise<{ autoCosignAsked: boolean } | undefined> {
    const insertEncounter = db
      .insert(encounters)
      .values(values)
      .onConflictDoNothing({ target: encounters.iri })
      .returning({ id: encounters.id });
    if (participants.length === 0) {
      return (await insertEncounter).length > 0 ? { autoCosignAsked: false } : undefined;
    }
    const rows = participants.map(
      (p, position) =>
        sql`(${randomUUID()}::uuid, ${position}::int, ${p.actor?.id ?? null}::uuid, ${p.plainName}::text)`,
    );
    const told =
      notified.length > 0
        ? sql`, told as (${deps.notifications.namedNotificationsSql(notified, values.id, {
            authorId: values.authorId,
            onlyIf: sql`exists (select 1 from stored)`,
          })})`
        : sql``;
    const result = await db.execute(sql`with stored as (${insertEncounter.getSQL()}),
      named as (
        insert into ${encounterParticipants} (id, encounter_id, position, actor_id, plain_name)
        select v.id, stored.id, v.position, v.actor_id, v.plain_name
        from stored cross join (values ${sql.join(rows, sql`, `)}) as v(id, position, actor_id, plain_name))
      ${told}
      select ${deps.cosign.autoCosignAskedSql(namedMembers(participants))} as asked from stored`);
    const [row] = rowsOf<{ asked: boolean }>(result);
    return row ? { autoCosignAsked: row.asked } : undefined;
  }

  async function receiveCreate(
    actorIri: string,
    record: RemoteEncounterRecord,
  ): Promise<RemoteOutcome> {
    const valid = validate(actorIri, record);
    if (typeof valid === "string") return ignored(valid);
    // Not an encounter; naming a member, it is still a mention (mention-notifications.ts).
    if (!valid.hasSocialdapresTag) {
      return deps.mentions?.receive(valid) ?? ignored("not tagged #Socialdapres");
    }
    // The author and the actors it names, in one statement: whether it names a member, and
    // most participants. A Create we already hold is found by the insert below.
    const mentioned = valid.mentions.map((m) => m.iri);
    const known = await knownActors([valid.authorIri, ...mentioned]);
    const knownAuthor = known.byIri.get(valid.authorIri);
    const namesMember = mentioned.some((iri) => known.byIri.get(iri)?.memberId);
    // Asked at most once, and only when the answer matters.
    let followed: boolean | undefined;
    const isFollowed = async () => {
      followed ??= knownAuthor !== undefined && (await isFollowedByMember(knownAuthor.id));
      return followed;
    };
    const concernsUs = namesMember || (await isFollowed());
    if (!concernsUs) return ignored("neither from an account members follow nor naming a member");

    const author = knownAuthor ?? (await findOrLookUp(valid.authorIri));
    if (!author) return ignored("its author could not be found");
    if (author.memberId) return ignored("a member's posts are written here, not received");
    const participants = await resolveParticipants(valid, author, known);
    // Naming only members who block its author (or whom it blocks) concerns nobody here.
    if (!participants.some((p) => p.actor?.memberId) && !(await isFollowed())) {
      return ignored("it names only members who block its author");
    }

    const id = randomUUID();
    const inserted = await insertWithParticipants(
      {
        id,
        iri: valid.iri,
        authorId: author.id,
        isLocal: false,
        ...contentOf(valid),
        publishedAt: valid.publishedAt ?? now(),
        updatedAt: valid.updatedAt,
      },
      participants,
      await toNotify(author, participants),
    );
    // The same Create delivered twice at once: the other delivery stored it.
    if (!inserted) {
      const winner = await repository.findByIri(valid.iri);
      return winner ? { status: "unchanged", encounterId: winner.id } : ignored("lost a race");
    }
    if (inserted.autoCosignAsked) await deps.cosign.autoCosign(id);
    if (valid.photo) deps.photos?.schedule(id);
    return { status: "stored", encounterId: id };
  }

  return {
    receiveCreate,

    async receiveUpdate(actorIri, record) {
      const valid = validate(actorIri, record);
      if (typeof valid === "string") return ignored(valid);
      const existing = await ownedRemote(actorIri, valid.iri);
      if (existing === "no such encounter") return receiveCreate(actorIri, record);
      if (typeof existing === "string") return ignored(existing);
      if (existing.deletedAt) return ignored("it was deleted");
      // Edits can arrive out of order: an older version never replaces a newer one.
      if (valid.updatedAt && existing.updatedAt && valid.updatedAt <= existing.updatedAt) {
        return { status: "unchanged", encounterId: existing.id };
      }
      // Taking the tag off withdraws the post from what Socialdapres shows.
      if (!valid.hasSocialdapresTag) return tombstone(existing);

      const known = await knownActors([existing.author.iri, ...valid.mentions.map((m) => m.iri)]);
      const participants = await resolveParticipants(valid, existing.author, known);
      const content = contentOf(valid);
      // The same photo keeps the thumbnail we made of it.
      const photo = deps.photos ? deps.photos.merge(existing.photo, content.photo) : content.photo;
      const added = await db.transaction(async (tx) => {
        await tx
          .update(encounters)
          .set({ ...content, photo, updatedAt: valid.updatedAt ?? now() })
          .where(eq(encounters.id, existing.id));
        // Participants still named keep their row, hence their co-signature.
        const kept = new Set<string>();
        const fresh: Participant[] = [];
        for (const [position, p] of participants.entries()) {
          const same = existing.participants.find((e) =>
            p.actor ? e.actorId === p.actor.id : !e.actorId && e.plainName === p.plainName,
          );
          if (same) {
            kept.add(same.id);
            await tx
              .update(encounterParticipants)
              .set({ position })
              .where(eq(encounterParticipants.id, same.id));
            continue;
          }
          fresh.push(p);
          await tx.insert(encounterParticipants).values({
            id: randomUUID(),
            encounterId: existing.id,
            position,
            actorId: p.actor?.id ?? null,
            plainName: p.plainName,
          });
        }
        const gone = existing.participants.filter((e) => !kept.has(e.id)).map((e) => e.id);
        if (gone.length > 0) {
          await tx.delete(encounterParticipants).where(inArray(encounterParticipants.id, gone));
        }
        return fresh;
      });
      await notify(existing.id, existing.author, added);
      if (namedMembers(added).length > 0) await deps.cosign.autoCosign(existing.id);
      await deps.photos?.forget(existing.photo, photo);
      if (photo && !photo.thumbnailKey) deps.photos?.schedule(existing.id);
      return { status: "updated", encounterId: existing.id };
    },

    async receiveDelete(actorIri, objectIri) {
      const existing = await ownedRemote(actorIri, objectIri);
      if (typeof existing === "string") return ignored(existing);
      if (existing.deletedAt) return { status: "unchanged", encounterId: existing.id };
      return tombstone(existing);
    },
  };
}
