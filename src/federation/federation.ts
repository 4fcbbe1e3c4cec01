import type { webcrypto } from "node:crypto";
import {
  type CircuitBreakerOptions,
  createFederation,
  type KvStore,
  type MessageQueue,
} from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow } from "../actors/actors-repository.ts";
import { decodeKeyset, encodeKeyset } from "../db/keyset.ts";
import type { Egress } from "../egress/egress.ts";
import type { DirectMessagesRepository } from "../exposure/direct-messages-repository.ts";
import type { FollowPage, FollowPageOptions, FollowsService } from "../follows/follows-service.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls, PATHS } from "../shared/local-urls.ts";
import type { AppFederation } from "./app-federation.ts";
import { createDocumentLoaders } from "./document-loaders.ts";
import { type EncounterObjectsDeps, registerEncounterObjects } from "./encounter-objects.ts";
import { createKeyPairCache } from "./key-pair-cache.ts";
import { deletedMemberTombstone, instanceApplication, memberToPerson } from "./mappers/actor.ts";
import { actorRowToRecipient } from "./recipients.ts";
import { SUBSCRIBE_REL } from "./remote-interaction.ts";
import { type ReplyObjectsDeps, registerReplyObjects } from "./reply-objects.ts";
import { registerDirectMessageObjects } from "./weekly-question-delivery.ts";

export interface FederationDeps {
  kv: KvStore;
  queue: MessageQueue;
  urls: LocalUrls;
  /** Where outgoing requests may go (src/egress/egress.ts). */
  egress: Egress;
  /** Only worker processes consume the queue; web processes only enqueue. */
  manuallyStartQueue: boolean;
  /** Tests shorten the circuit breaker's waits; Fedify's defaults otherwise. */
  circuitBreaker?: CircuitBreakerOptions;
  /** Told of every failed delivery attempt, while its job runs (src/federation/delivery-outcomes.ts). */
  onOutboxError?: () => void;
  /** Fetches refused by moderation: blocked domains, suspended accounts (src/moderation/policy.ts). */
  refusesUrl?: (url: string) => Promise<boolean>;
}

/** What the dispatchers serve: the instance's actors, their keys and collections, their Notes. */
export interface DispatcherDeps
  extends Omit<EncounterObjectsDeps, "urls" | "replies">,
    Omit<ReplyObjectsDeps, "urls"> {
  urls: LocalUrls;
  /** The instance's name as the admin last set it: the instance actor's name. */
  instanceName: () => Promise<string>;
  /** The instance actor's language (its bio). */
  instanceLanguage?: "fr" | "en";
  members: MembersService;
  /** The instance actor's direct messages, served at their ids to their addressee. */
  directMessages: DirectMessagesRepository;
  follows: FollowsService;
}

const COLLECTION_PAGE_SIZE = 50;
const FIRST_PAGE = "first";
/** Read by Fedify only when a 429/503 carried no usable Retry-After. */
const RETRY_AFTER_FALLBACK = Temporal.Duration.from({
  minutes: 1,
}) as unknown as globalThis.Temporal.Duration;

/**
 * The Fedify federation: how it fetches, signs and queues. What it serves is registered
 * once the services exist (`registerDispatchers`), and what it receives by
 * `registerInboxListeners` (src/federation/inbox-listeners.ts).
 */
export function createAppFederation(deps: FederationDeps): AppFederation {
  // Many deployed servers drop RFC 9421 signatures silently; start with the one they all read.
  const firstKnock = "draft-cavage-http-signatures-12";
  return createFederation<void>({
    kv: deps.kv,
    queue: deps.queue,
    manuallyStartQueue: deps.manuallyStartQueue,
    origin: deps.urls.origin.origin,
    // Our loaders: fetches through the egress policy, keys bound to the actors that list them.
    ...createDocumentLoaders({
      kv: deps.kv,
      egress: deps.egress,
      firstKnock,
      refusesUrl: deps.refusesUrl,
    }),
    firstKnock,
    trailingSlashInsensitive: true,
    // Our queue retries a failed delivery in place (nativeRetrial) and dead-letters it in the
    // end. Fedify asks for a later run itself only when the peer said when (429 or 503 with
    // Retry-After) or its host is held by the circuit breaker: that must never be "give up".
    outboxRetryPolicy: () => RETRY_AFTER_FALLBACK,
    // 404 and 410 are not retried (src/federation/delivery-failures.ts says what they mean);
    // the circuit breaker holds a failing host's deliveries for 7 days (heldActivityTtl).
    permanentFailureStatusCodes: [404, 410],
    ...(deps.circuitBreaker ? { circuitBreaker: deps.circuitBreaker } : {}),
    ...(deps.onOutboxError ? { onOutboxError: deps.onOutboxError } : {}),
  });
}

/** Actors, keys, followers and following, and each encounter's Note (encounter-objects.ts). */
export function registerDispatchers(federation: AppFederation, deps: DispatcherDeps): void {
  const { urls, members, follows } = deps;

  const keys = createKeyPairCache();
  const keyPairsOf = async (identifier: string): Promise<webcrypto.CryptoKeyPair[]> => {
    if (identifier === INSTANCE_ACTOR_IDENTIFIER) {
      return keys.imported(INSTANCE_ACTOR_IDENTIFIER, await members.instanceKeyPairs());
    }
    const member = await members.findByUsername(identifier);
    return member ? keys.imported(member.id, await members.keyPairs(member)) : [];
  };

  federation
    .setActorDispatcher(PATHS.actor, async (ctx, identifier) => {
      const pairs = await ctx.getActorKeyPairs(identifier);
      const [rsa] = pairs;
      if (!rsa) return null;
      const keys = { rsa: rsa.cryptographicKey, multikeys: pairs.map((p) => p.multikey) };
      if (identifier === INSTANCE_ACTOR_IDENTIFIER) {
        return instanceApplication(urls, await deps.instanceName(), keys, deps.instanceLanguage);
      }
      const member = await members.findByUsername(identifier);
      if (!member || member.username !== identifier) return null;
      // A deleted account, or one suspended by the moderators: 410 Gone with a Tombstone
      // (WebFinger answers 410 too), as Mastodon.
      const gone = member.deletedAt ?? member.suspendedAt;
      if (gone) return deletedMemberTombstone(ctx.getActorUri(identifier), gone);
      return memberToPerson(member, urls, keys, await members.pioneerRank(member.id));
    })
    .setKeyPairsDispatcher((_ctx, identifier) => keyPairsOf(identifier))
    .mapHandle(async (_ctx, username) => {
      if (username.toLowerCase() === INSTANCE_ACTOR_IDENTIFIER) return INSTANCE_ACTOR_IDENTIFIER;
      return (await members.findByUsername(username))?.username ?? null;
    });
  // Remote follow, the other way: a member here who visits a profile elsewhere types their
  // address, and that server sends them to this page (src/web/remote-follow.ts) to follow.
  federation.setWebFingerLinksDispatcher(() => [
    { rel: SUBSCRIBE_REL, template: `${urls.origin.origin}/authorize_interaction?uri={uri}` },
  ]);

  // Exactly the member's username, as the actor dispatcher requires: "/users/BEA/…" is not hers.
  const isMember = async (identifier: string) => {
    const member = await members.findByUsername(identifier);
    return member?.username === identifier && !member.deletedAt && !member.suspendedAt;
  };
  // Without a first cursor Fedify calls the dispatcher, which answers 404 for an unknown
  // member; with one, it would serve an empty collection for any name.
  const firstCursorOf = async (_ctx: unknown, identifier: string) =>
    (await isMember(identifier)) ? FIRST_PAGE : null;

  // Newest follow first, keyset-paged (src/db/keyset.ts); the counts come from actor_counters.
  federation
    .setFollowersDispatcher(PATHS.followers, async (_ctx, identifier, cursor) => {
      if (identifier === INSTANCE_ACTOR_IDENTIFIER) return { items: [] };
      if (!(await isMember(identifier))) return null;
      return keysetPage(cursor, (page) => follows.followers(identifier, page), actorRowToRecipient);
    })
    .setCounter(async (_ctx, identifier) =>
      (await isMember(identifier)) ? (await follows.counts(identifier)).followers : null,
    )
    .setFirstCursor(firstCursorOf);

  federation
    .setFollowingDispatcher(PATHS.following, async (_ctx, identifier, cursor) => {
      if (identifier === INSTANCE_ACTOR_IDENTIFIER) return { items: [] };
      if (!(await isMember(identifier))) return null;
      return keysetPage(
        cursor,
        (page) => follows.following(identifier, page),
        (row) => new URL(row.iri),
      );
    })
    .setCounter(async (_ctx, identifier) =>
      (await isMember(identifier)) ? (await follows.counts(identifier)).following : null,
    )
    .setFirstCursor(firstCursorOf);

  // Each encounter's Note (and Create) at its id, and the outbox of public encounters.
  registerEncounterObjects(federation, deps);
  // Each reply written here at its id, and each encounter's replies collection.
  registerReplyObjects(federation, deps);
  // The instance actor's direct messages, each to its addressee only.
  registerDirectMessageObjects(federation, { urls, messages: deps.directMessages });
}

/**
 * A collection page from a keyset cursor (`encodeKeyset`; FIRST_PAGE for the first). Without
 * a cursor Fedify wants every item at once (it is delivering to followers), so no limit.
 */
async function keysetPage<TItem>(
  cursor: string | null,
  load: (page: FollowPageOptions) => Promise<FollowPage>,
  toItem: (row: ActorRow) => TItem,
): Promise<{ items: TItem[]; nextCursor: string | null }> {
  // Our cursors are keys we minted; anything else is a page with nothing on it, never a
  // query PostgreSQL refuses.
  const before = cursor === null || cursor === FIRST_PAGE ? undefined : decodeKeyset(cursor);
  if (cursor !== null && cursor !== FIRST_PAGE && !before) return { items: [], nextCursor: null };
  const page = await load({
    before,
    limit: cursor === null ? Number.MAX_SAFE_INTEGER : COLLECTION_PAGE_SIZE,
  });
  return {
    items: page.items.map(toItem),
    nextCursor: cursor !== null && page.next ? encodeKeyset(page.next) : null,
  };
}
