import type { Context } from "@fedify/fedify";
import { Announce, Delete, Like, PUBLIC_COLLECTION, type Recipient, Undo } from "@fedify/vocab";
import type { MembersService } from "../accounts/members-service.ts";
import type { EncountersRepository, EncounterView } from "../encounters/encounters-repository.ts";
import type { RepliesRepository } from "../encounters/replies-repository.ts";
import { isCosignable, isPrivateOnly, SHOWN_REPLIES } from "../encounters/visibility.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { DomainEvent } from "../shared/events.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { toInstant } from "./mappers/instant.ts";
import {
  encounterAudience,
  encounterToNote,
  encounterToTombstone,
  type NoteContext,
  participantActors,
} from "./mappers/note.ts";
import { TootCreate, TootUpdate } from "./mappers/toot-terms.ts";
import { actorRowToRecipient } from "./recipients.ts";

export type EncounterEvent = Extract<DomainEvent, { type: `encounter.${string}` }>;
type AuthorEvent = Extract<
  EncounterEvent,
  { type: "encounter.created" | "encounter.updated" | "encounter.deleted" }
>;
type CosignEvent = Extract<
  EncounterEvent,
  { type: "encounter.cosigned" | "encounter.cosign_withdrawn" }
>;
type LikeEvent = Extract<EncounterEvent, { type: "encounter.liked" | "encounter.unliked" }>;

export interface EncounterDeliveryDeps {
  encounters: EncountersRepository;
  members: MembersService;
  follows: FollowsService;
  urls: LocalUrls;
  /** How many replies each Note counts. */
  replies: Pick<RepliesRepository, "countByEncounter">;
}

/** The id of the `Create` of an encounter: fixed, so the outbox and the delivery agree. */
export function createActivityIri(encounter: Pick<EncounterView, "iri">): URL {
  return new URL(`${encounter.iri}/activity`);
}

/** The author's language, which the Note's labels and `contentMap` follow. */
export async function authorLanguage(
  members: MembersService,
  encounter: EncounterView,
): Promise<string> {
  const memberId = encounter.author.memberId;
  return (memberId && (await members.findById(memberId))?.language) || "fr";
}

/** What the Note of an encounter needs beside the encounter: its author's language, its replies. */
export async function noteContextOf(
  deps: Pick<EncounterDeliveryDeps, "members" | "urls" | "replies">,
  encounter: EncounterView,
  repliesCount?: number,
): Promise<NoteContext> {
  const count =
    repliesCount ??
    (await deps.replies.countByEncounter([encounter.id], SHOWN_REPLIES)).get(encounter.id);
  return {
    urls: deps.urls,
    language: await authorLanguage(deps.members, encounter),
    repliesCount: count ?? 0,
  };
}

/** `Create(Note)` as sent and as listed in the outbox (`repliesCount` when already counted). */
export async function createActivityOf(
  deps: Pick<EncounterDeliveryDeps, "members" | "urls" | "replies">,
  encounter: EncounterView,
  repliesCount?: number,
): Promise<TootCreate> {
  const note = encounterToNote(encounter, await noteContextOf(deps, encounter, repliesCount));
  const { to, cc } = encounterAudience(encounter, deps.urls);
  return new TootCreate({
    id: createActivityIri(encounter),
    actor: new URL(encounter.author.iri),
    object: note,
    published: toInstant(encounter.publishedAt),
    tos: to,
    ccs: cc,
  });
}

/**
 * Turns encounter events into activities: the author sends Create/Update/
 * Delete to the participants and (unless only participants may see it) to
 * their followers; a co-signer sends Announce (and Undo) to their followers
 * and the author; a member who likes a remote encounter sends Like (and Undo)
 * to its author. Each server gets one request (shared inboxes), this one
 * none: its own members already see the database.
 */
export function createEncounterDelivery(deps: EncounterDeliveryDeps) {
  const { encounters, follows, urls } = deps;

  async function followersOf(username: string): Promise<Recipient[]> {
    const page = await follows.followers(username, { limit: Number.MAX_SAFE_INTEGER });
    return page.items.map(actorRowToRecipient);
  }

  async function send(
    ctx: Context<void>,
    username: string,
    recipients: Recipient[],
    activity: Parameters<Context<void>["sendActivity"]>[2],
    encounter: EncounterView,
  ) {
    if (recipients.length === 0) return;
    await ctx.sendActivity({ identifier: username }, recipients, activity, {
      preferSharedInbox: true,
      excludeBaseUris: [urls.origin],
      // Create, Update, Delete and Announce of one Note arrive in the order they were sent.
      orderingKey: encounter.iri,
    });
  }

  async function sendAsAuthor(ctx: Context<void>, event: AuthorEvent, encounter: EncounterView) {
    const author = encounter.author;
    if (!author.memberId) return; // Someone else's encounter: theirs to federate.
    // A Create or Update replayed after the encounter was deleted: its Delete says it all.
    if (encounter.deletedAt && event.type !== "encounter.deleted") return;
    const recipients = participantActors(encounter).map(actorRowToRecipient);
    // "participants" means nobody else, whoever follows the author.
    if (encounter.visibility !== "participants")
      recipients.push(...(await followersOf(author.username)));
    const { to, cc } = encounterAudience(encounter, urls);
    const actor = new URL(author.iri);
    let activity: Parameters<Context<void>["sendActivity"]>[2];
    if (event.type === "encounter.deleted") {
      activity = new Delete({
        id: new URL(event.activityIri),
        actor,
        object: encounterToTombstone(encounter),
        tos: to,
        ccs: cc,
      });
    } else if (event.type === "encounter.created") {
      activity = await createActivityOf(deps, encounter);
    } else {
      activity = new TootUpdate({
        id: new URL(event.activityIri),
        actor,
        object: encounterToNote(encounter, await noteContextOf(deps, encounter)),
        published: toInstant(new Date(event.updatedAt)),
        tos: to,
        ccs: cc,
      });
    }
    await send(ctx, author.username, recipients, activity, encounter);
  }

  async function sendAsCosigner(ctx: Context<void>, event: CosignEvent, encounter: EncounterView) {
    // Co-signing shows the encounter to one's followers: only public and unlisted ones qualify
    // (a withdrawal is sent whatever the encounter became since).
    if (!isCosignable(encounter) && event.type === "encounter.cosigned") return;
    const cosigner = urls.actor(event.username);
    const followers = urls.followers(event.username);
    const author = new URL(encounter.author.iri);
    const audience =
      encounter.visibility === "public"
        ? { tos: [PUBLIC_COLLECTION], ccs: [author, followers] }
        : { tos: [followers], ccs: [PUBLIC_COLLECTION, author] };
    const cosignedAt = encounter.participants.find(
      (p) => p.actor?.iri === cosigner.href,
    )?.cosignedAt;
    const announce = new Announce({
      id: new URL(event.activityIri),
      actor: cosigner,
      object: new URL(encounter.iri),
      published: event.type === "encounter.cosigned" && cosignedAt ? toInstant(cosignedAt) : null,
      ...audience,
    });
    const activity =
      event.type === "encounter.cosigned"
        ? announce
        : new Undo({
            id: new URL(event.undoActivityIri),
            actor: cosigner,
            object: announce,
            ...audience,
          });
    const recipients = [
      ...(await followersOf(event.username)),
      actorRowToRecipient(encounter.author),
    ];
    await send(ctx, event.username, recipients, activity, encounter);
  }

  async function sendAsLiker(ctx: Context<void>, event: LikeEvent, encounter: EncounterView) {
    // A local author's encounter counted the like in this database: nobody else to tell.
    if (encounter.author.memberId) return;
    const liker = urls.actor(event.username);
    const author = new URL(encounter.author.iri);
    // The stored id, so the Undo names the very Like the author's server recorded.
    const like = new Like({
      id: new URL(event.activityIri),
      actor: liker,
      object: new URL(encounter.iri),
      tos: [author],
    });
    const activity =
      event.type === "encounter.liked"
        ? like
        : new Undo({
            id: new URL(event.undoActivityIri),
            actor: liker,
            object: like,
            tos: [author],
          });
    await send(ctx, event.username, [actorRowToRecipient(encounter.author)], activity, encounter);
  }

  return {
    async deliver(ctx: Context<void>, event: EncounterEvent): Promise<void> {
      const encounter = await encounters.findById(event.encounterId);
      // A private encounter is the author's tracker entry: nobody is sent anything, ever.
      if (!encounter || isPrivateOnly(encounter)) return;
      switch (event.type) {
        case "encounter.created":
        case "encounter.updated":
        case "encounter.deleted":
          return sendAsAuthor(ctx, event, encounter);
        case "encounter.cosigned":
        case "encounter.cosign_withdrawn":
          return sendAsCosigner(ctx, event, encounter);
        case "encounter.liked":
        case "encounter.unliked":
          return sendAsLiker(ctx, event, encounter);
      }
    },
  };
}
