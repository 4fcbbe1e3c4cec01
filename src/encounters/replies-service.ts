import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { Db, DbExecutor } from "../db/database.ts";
import { encounterReplies, type Visibility } from "../db/schema.ts";
import type { NotifiedFilter } from "../moderation/notified.ts";
import { assertMayPost } from "../moderation/posting.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { parseOrThrow } from "../shared/validation.ts";
import type { EncounterAccess } from "./encounter-access.ts";
import type { EncountersRepository, EncounterView } from "./encounters-repository.ts";
import type { NotificationsService } from "./notifications-service.ts";
import type { ParticipantResolver } from "./participants.ts";
import type { RepliesRepository, ReplyView } from "./replies-repository.ts";
import {
  type RemoteReplyRecord,
  type ReplyInput,
  remoteReplyRecordSchema,
  replyInputSchema,
  type ValidRemoteReplyRecord,
  type ValidReplyInput,
} from "./reply-input.ts";
import {
  ANYONE,
  isPrivateOnly,
  mayRead,
  mayReadReply,
  type ReplyReader,
  replyVisibility,
} from "./visibility.ts";

export type { ReplyView } from "./replies-repository.ts";

/** Who reads replies: a member here, an actor known by its IRI (a signed fetch), or anyone. */
export type ReplyReaderRef = { username: string } | { actorIri: string } | "anyone";

export type ReplyOutcome =
  | {
      status: "stored" | "updated" | "deleted" | "unchanged";
      replyId: string;
      encounterId: string;
    }
  /** It answers something of ours, and is not kept: the reason says why. */
  | { status: "refused"; reason: string }
  /** It answers nothing we hold: not a reply for us (it may still be an encounter). */
  | { status: "not_a_reply" };

/**
 * Replies are witnesses speaking under an encounter: written here by members (own API,
 * C2S, the Mastodon API and the web form all call this service), or received
 * from any server. A reply to a reply joins the same encounter's thread. Who may read a
 * reply is the rule of src/encounters/visibility.ts (`mayReadReply`); whoever may not read
 * an encounter may not answer it. The only writer of `encounter_replies`.
 */
export interface RepliesService {
  /** A member answers an encounter they may read, or (`inReplyTo`) one of its replies. */
  reply(username: string, encounterId: string, input: ReplyInput): Promise<ReplyView>;
  /** The same, answering an IRI: an encounter's or a reply's (what ActivityPub clients name). */
  replyToIri(
    username: string,
    iri: string,
    input: Omit<ReplyInput, "inReplyTo">,
  ): Promise<ReplyView>;
  /** A member deletes their own reply (federated as a Delete); 404 for anyone else's. */
  delete(username: string, replyId: string): Promise<void>;
  /** The member's own reply at this IRI, or undefined. */
  findOwnByIri(username: string, iri: string): Promise<ReplyView | undefined>;
  /** One reply, if this member may read it; 404 otherwise (never 403). */
  visibleTo(username: string, replyId: string): Promise<ReplyView>;
  /**
   * The replies of an encounter that this reader may read, oldest first; 404 when the
   * encounter is not theirs to read.
   */
  list(encounterId: string, reader: ReplyReaderRef): Promise<ReplyView[]>;
  /**
   * How many replies the reader sees under each of a page of encounters: what `list` gives
   * for each, with the replies read in one query (0 for an encounter they cannot read).
   */
  countsFor(
    encounters: readonly EncounterView[],
    reader: ReplyReaderRef,
  ): Promise<Map<string, number>>;
  /** Whether the actor with this IRI (undefined: anyone) may read the reply. */
  mayActorRead(reply: ReplyView, actorIri: string | undefined): Promise<boolean>;

  /** A remote Note answering an encounter here or one of its replies; `actorIri` signed it. */
  receiveCreate(actorIri: string, record: RemoteReplyRecord): Promise<ReplyOutcome>;
  /** An edit by its author; an edit of a reply we do not hold is read as a Create. */
  receiveUpdate(actorIri: string, record: RemoteReplyRecord): Promise<ReplyOutcome>;
  receiveDelete(actorIri: string, objectIri: string): Promise<ReplyOutcome>;

  /** An encounter is gone: its replies go with it, here (nothing is sent). */
  forgetEncounter(encounterId: string): Promise<number>;
}

interface Thread {
  encounter: EncounterView;
  /** The reply answered, when it answers a reply rather than the encounter. */
  parent: ReplyView | undefined;
}

const NOT_A_REPLY: ReplyOutcome = { status: "not_a_reply" };
const refused = (reason: string): ReplyOutcome => ({ status: "refused", reason });
const outcome = (
  status: "stored" | "updated" | "deleted" | "unchanged",
  reply: { id: string; encounterId: string },
): ReplyOutcome => ({ status, replyId: reply.id, encounterId: reply.encounterId });

export function createRepliesService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  access: Pick<EncounterAccess, "visibleTo" | "mayActorRead">;
  encounters: Pick<EncountersRepository, "findById" | "findByIri">;
  replies: RepliesRepository;
  actors: Pick<ActorsRepository, "findByIri">;
  /** Finds a remote replier by IRI: known rows first, a fediverse lookup for strangers. */
  resolver: ParticipantResolver;
  notifications: Pick<NotificationsService, "notifyReply" | "forgetReply">;
  /** Who may hear of a silenced author's replies: its followers only (src/moderation/). */
  notified?: NotifiedFilter;
  /** Each event is recorded in the transaction of the change it reports. */
  events: Pick<Outbox, "record" | "dispatch">;
  urls: LocalUrls;
  now?: () => Date;
}): RepliesService {
  const { db, events, urls } = deps;
  const repository = deps.replies;
  const now = deps.now ?? (() => new Date());

  async function threadOf(iri: string): Promise<Thread | undefined> {
    const encounter = await deps.encounters.findByIri(iri);
    if (encounter) return { encounter, parent: undefined };
    const parent = await repository.findByIri(iri);
    const root = parent && (await deps.encounters.findById(parent.encounterId));
    return root ? { encounter: root, parent } : undefined;
  }

  /** An encounter that takes replies: not deleted, not a private tracker entry. */
  const answerable = (encounter: EncounterView) =>
    !encounter.deletedAt && !isPrivateOnly(encounter);

  const readsEncounter = async (encounter: EncounterView, reader: ActorRow | undefined) =>
    reader ? deps.access.mayActorRead(encounter, reader.iri) : mayRead(encounter, ANYONE);

  /** What the rule needs to know of a reader, for each of these replies of one encounter. */
  async function readerOf(
    reader: ActorRow | undefined,
    encounter: EncounterView,
    replies: readonly Pick<ReplyView, "authorId" | "visibility">[],
  ): Promise<(reply: Pick<ReplyView, "authorId" | "mentions">) => ReplyReader> {
    const reads = await readsEncounter(encounter, reader);
    // Whom the reader follows matters only for followers-only replies.
    const repliers = [
      ...new Set(replies.filter((r) => r.visibility === "followers").map((r) => r.authorId)),
    ];
    const followed =
      reader && reads ? await repository.followedBy(reader.id, repliers) : new Set<string>();
    return (reply) => ({
      isReplier: reader?.id === reply.authorId,
      readsEncounter: reads,
      isAddressed:
        reader !== undefined &&
        (reader.id === encounter.authorId || reply.mentions.includes(reader.iri)),
      followsReplier: followed.has(reply.authorId),
    });
  }

  async function readerActor(reader: ReplyReaderRef): Promise<ActorRow | undefined> {
    if (reader === "anyone") return undefined;
    if ("username" in reader) return (await deps.members.requireByUsername(reader.username)).actor;
    return deps.actors.findByIri(reader.actorIri);
  }

  /**
   * Who hears of a reply: the encounter's author, the author of the reply it answers and
   * the members it mentions, when they are members here, may read it and did not write it.
   */
  async function toNotify(
    thread: Thread,
    reply: Pick<ReplyView, "authorId" | "mentions" | "visibility" | "deletedAt">,
  ): Promise<string[]> {
    const { encounter, parent } = thread;
    const mentioned = await Promise.all(reply.mentions.map((iri) => deps.actors.findByIri(iri)));
    const candidates = [encounter.author, parent?.author, ...mentioned];
    const memberIds = new Set<string>();
    for (const actor of candidates) {
      if (!actor?.memberId || actor.id === reply.authorId || memberIds.has(actor.memberId)) {
        continue;
      }
      const facts = await readerOf(actor, encounter, [reply]);
      if (mayReadReply(reply, facts(reply))) {
        memberIds.add(actor.memberId);
      }
    }
    return [...memberIds];
  }

  /**
   * Whom a member's reply addresses: the encounter's author and the replier it answers;
   * a participants-only reply also everyone the encounter (or the reply answered) names.
   */
  function addresseesOf(thread: Thread, replier: ActorRow, visibility: Visibility): string[] {
    const { encounter, parent } = thread;
    const iris = [encounter.author.iri, ...(parent ? [parent.author.iri] : [])];
    if (visibility === "participants") {
      if (parent) iris.push(...parent.mentions);
      else iris.push(...encounter.participants.flatMap((p) => (p.actor ? [p.actor.iri] : [])));
    }
    return [...new Set(iris)].filter((iri) => iri !== replier.iri);
  }

  async function write(
    username: string,
    thread: Thread,
    valid: ValidReplyInput,
  ): Promise<ReplyView> {
    const { member, actor } = await deps.members.requireByUsername(username);
    assertMayPost(member);
    const { encounter, parent } = thread;
    const unseen = () =>
      new DomainError("not_found", `No encounter ${encounter.id} that you can reply to.`);
    if (!answerable(encounter) || !(await readsEncounter(encounter, actor))) throw unseen();
    if (parent && !mayReadReply(parent, (await readerOf(actor, encounter, [parent]))(parent))) {
      throw unseen();
    }
    const visibility = replyVisibility(valid.visibility, encounter, ...(parent ? [parent] : []));
    const id = randomUUID();
    const row = {
      id,
      iri: urls.reply(member.username, id).href,
      // Read under the encounter's page; a remote encounter's page is on its own server.
      url: encounter.isLocal
        ? `${urls.encounterPage(encounter.author.username, encounter.id).href}#reply-${id}`
        : null,
      encounterId: encounter.id,
      inReplyToIri: (parent ?? encounter).iri,
      authorId: actor.id,
      isLocal: true,
      text: valid.text,
      visibility,
      mentions: addresseesOf(thread, actor, visibility),
      publishedAt: now(),
    };
    const notified = await toNotify(thread, { ...row, deletedAt: null });
    const recorded = await db.transaction(async (tx) => {
      await tx.insert(encounterReplies).values(row);
      await deps.notifications.notifyReply(notified, row, tx);
      return events.record(tx, {
        type: "reply.created",
        replyId: id,
        activityIri: urls.newActivity("create").href,
      });
    });
    await events.dispatch(recorded);
    return (await repository.findById(id)) as ReplyView;
  }

  async function ownReply(username: string, replyId: string): Promise<ReplyView> {
    const { actor } = await deps.members.requireByUsername(username);
    const reply = await repository.findById(replyId);
    if (!reply || reply.authorId !== actor.id || !reply.isLocal || reply.deletedAt) {
      throw new DomainError("not_found", `No reply ${replyId} by ${username}.`);
    }
    return reply;
  }

  /** The words go; the row stays, to address a Delete and to refuse a late Create. */
  async function tombstone(tx: DbExecutor, reply: ReplyView) {
    await tx
      .update(encounterReplies)
      .set({ deletedAt: now(), text: "", remoteContentHtml: null })
      .where(eq(encounterReplies.id, reply.id));
    await deps.notifications.forgetReply(reply.id, tx);
  }

  function validate(actorIri: string, record: RemoteReplyRecord): ValidRemoteReplyRecord | string {
    const parsed = remoteReplyRecordSchema.safeParse(record);
    if (!parsed.success) return `unreadable reply: ${parsed.error.issues[0]?.message}`;
    const valid = parsed.data;
    if (valid.authorIri !== actorIri) return "the sender is not the author (attributedTo ≠ actor)";
    // A server speaks only for its own posts: no Note ids minted on someone else's host.
    if (new URL(valid.iri).origin !== new URL(actorIri).origin) {
      return "the reply's id is not on its author's server";
    }
    return valid;
  }

  async function receiveCreate(actorIri: string, record: RemoteReplyRecord): Promise<ReplyOutcome> {
    const thread = record.inReplyTo ? await threadOf(record.inReplyTo) : undefined;
    if (!thread) return NOT_A_REPLY;
    // Kept as an encounter before (say, it once answered something we did not hold): it stays one.
    if (await deps.encounters.findByIri(record.iri)) return NOT_A_REPLY;
    const valid = validate(actorIri, record);
    if (typeof valid === "string") return refused(valid);
    const existing = await repository.findByIri(valid.iri);
    if (existing) return outcome("unchanged", existing);

    const { encounter, parent } = thread;
    if (!answerable(encounter)) return refused("the encounter it answers is not there");
    if (parent?.deletedAt) return refused("the reply it answers was deleted");
    const known = await deps.actors.findByIri(valid.authorIri);
    if (known?.memberId) return refused("a member's replies are written here, not received");
    // Whoever may not read the encounter (or the reply answered) may not answer it.
    if (!(await readsEncounter(encounter, known))) {
      return refused("its author may not read the encounter it answers");
    }
    if (parent && !mayReadReply(parent, (await readerOf(known, encounter, [parent]))(parent))) {
      return refused("its author may not read the reply it answers");
    }
    const author = known ?? (await deps.resolver.resolve(valid.authorIri).catch(() => undefined));
    if (!author) return refused("its author could not be found");
    if (author.memberId) return refused("a member's replies are written here, not received");

    const visibility = replyVisibility(valid.visibility, encounter, ...(parent ? [parent] : []));
    const row = {
      id: randomUUID(),
      iri: valid.iri,
      url: valid.url,
      encounterId: encounter.id,
      inReplyToIri: (parent ?? encounter).iri,
      authorId: author.id,
      isLocal: false,
      text: valid.text,
      remoteContentHtml: valid.contentHtml,
      visibility,
      mentions: valid.mentions,
      publishedAt: valid.publishedAt ?? now(),
      updatedAt: valid.updatedAt,
    };
    const candidates = await toNotify(thread, { ...row, deletedAt: null });
    const notified = deps.notified ? await deps.notified(author, candidates) : candidates;
    const inserted = await db.transaction(async (tx) => {
      const rows = await tx
        .insert(encounterReplies)
        .values(row)
        .onConflictDoNothing({ target: encounterReplies.iri })
        .returning({ id: encounterReplies.id });
      if (rows.length === 0) return false;
      await deps.notifications.notifyReply(notified, row, tx);
      return true;
    });
    if (!inserted) {
      // The same Create delivered twice at once: the other delivery stored it.
      const winner = await repository.findByIri(valid.iri);
      return winner ? outcome("unchanged", winner) : refused("lost a race");
    }
    return outcome("stored", row);
  }

  return {
    async reply(username, encounterId, input) {
      const valid = parseOrThrow(replyInputSchema, input);
      const encounter = await deps.access.visibleTo(username, encounterId);
      const parentId = valid.inReplyTo;
      const parent = parentId ? await repository.findById(parentId) : undefined;
      if (parentId && (!parent || parent.encounterId !== encounter.id || parent.deletedAt)) {
        throw new DomainError(
          "not_found",
          `No reply ${parentId} under encounter ${encounterId} that you can see.`,
        );
      }
      return write(username, { encounter, parent }, valid);
    },

    async replyToIri(username, iri, input) {
      const valid = parseOrThrow(replyInputSchema, input);
      const thread = await threadOf(iri);
      if (!thread || thread.parent?.deletedAt) {
        throw new DomainError(
          "not_found",
          `No encounter or reply at ${iri} that you can reply to: inReplyTo names an encounter known here, or one of its replies.`,
        );
      }
      return write(username, thread, valid);
    },

    async delete(username, replyId) {
      const reply = await ownReply(username, replyId);
      const recorded = await db.transaction(async (tx) => {
        await tombstone(tx, reply);
        return events.record(tx, {
          type: "reply.deleted",
          replyId: reply.id,
          activityIri: urls.newActivity("delete").href,
        });
      });
      await events.dispatch(recorded);
    },

    async findOwnByIri(username, iri) {
      const { actor } = await deps.members.requireByUsername(username);
      const reply = await repository.findByIri(iri);
      return reply && reply.authorId === actor.id && reply.isLocal && !reply.deletedAt
        ? reply
        : undefined;
    },

    async visibleTo(username, replyId) {
      const { actor } = await deps.members.requireByUsername(username);
      const reply = await repository.findById(replyId);
      const encounter = reply && (await deps.encounters.findById(reply.encounterId));
      if (
        !reply ||
        !encounter ||
        !mayReadReply(reply, (await readerOf(actor, encounter, [reply]))(reply))
      ) {
        throw new DomainError("not_found", `No reply ${replyId} that you can see.`);
      }
      return reply;
    },

    async list(encounterId, reader) {
      const actor = await readerActor(reader);
      const encounter =
        reader !== "anyone" && "username" in reader
          ? await deps.access.visibleTo(reader.username, encounterId)
          : await deps.encounters.findById(encounterId);
      if (!encounter || !(await readsEncounter(encounter, actor))) {
        throw new DomainError("not_found", `No encounter ${encounterId} that you can see.`);
      }
      if (isPrivateOnly(encounter)) return [];
      const replies = await repository.listByEncounter(encounter.id);
      const facts = await readerOf(actor, encounter, replies);
      return replies.filter((reply) => mayReadReply(reply, facts(reply)));
    },

    async countsFor(encounters, reader) {
      const counts = new Map(encounters.map((e) => [e.id, 0]));
      const answerable = encounters.filter((e) => !isPrivateOnly(e));
      const replies = await repository.listByEncounters(answerable.map((e) => e.id));
      if (replies.length === 0) return counts;
      const actor = await readerActor(reader);
      for (const encounter of answerable) {
        const own = replies.filter((r) => r.encounterId === encounter.id);
        if (own.length === 0 || !(await readsEncounter(encounter, actor))) continue;
        const facts = await readerOf(actor, encounter, own);
        counts.set(encounter.id, own.filter((reply) => mayReadReply(reply, facts(reply))).length);
      }
      return counts;
    },

    async mayActorRead(reply, actorIri) {
      const encounter = await deps.encounters.findById(reply.encounterId);
      if (!encounter || !answerable(encounter)) return false;
      const actor = actorIri ? await deps.actors.findByIri(actorIri) : undefined;
      return mayReadReply(reply, (await readerOf(actor, encounter, [reply]))(reply));
    },

    receiveCreate,

    async receiveUpdate(actorIri, record) {
      const existing = await repository.findByIri(record.iri);
      if (!existing) return receiveCreate(actorIri, record);
      const valid = validate(actorIri, record);
      if (typeof valid === "string") return refused(valid);
      if (existing.isLocal || existing.author.iri !== actorIri) {
        return refused("only its author may change it");
      }
      if (existing.deletedAt) return refused("it was deleted");
      // Edits can arrive out of order: an older version never replaces a newer one.
      if (valid.updatedAt && existing.updatedAt && valid.updatedAt <= existing.updatedAt) {
        return outcome("unchanged", existing);
      }
      // The words change; whom it was addressed to does not (as on Mastodon).
      await db
        .update(encounterReplies)
        .set({
          text: valid.text,
          remoteContentHtml: valid.contentHtml,
          url: valid.url,
          updatedAt: valid.updatedAt ?? now(),
        })
        .where(eq(encounterReplies.id, existing.id));
      return outcome("updated", existing);
    },

    async receiveDelete(actorIri, objectIri) {
      const existing = await repository.findByIri(objectIri);
      if (!existing) return NOT_A_REPLY;
      if (existing.isLocal || existing.author.iri !== actorIri) {
        return refused("only its author may delete it");
      }
      if (existing.deletedAt) return outcome("unchanged", existing);
      await db.transaction((tx) => tombstone(tx, existing));
      return outcome("deleted", existing);
    },

    async forgetEncounter(encounterId) {
      // Their notifications go too (foreign key, on delete cascade).
      const gone = await db
        .delete(encounterReplies)
        .where(eq(encounterReplies.encounterId, encounterId))
        .returning({ id: encounterReplies.id });
      return gone.length;
    },
  };
}
