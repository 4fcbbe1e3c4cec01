import type { RequestContext } from "@fedify/fedify";
import { Application, Create, Note } from "@fedify/vocab";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import { decodeKeyset, encodeKeyset } from "../db/keyset.ts";
import type { EncounterAccess } from "../encounters/encounter-access.ts";
import {
  type EncountersRepository,
  type EncounterView,
  encounterKey,
} from "../encounters/encounters-repository.ts";
import type { RepliesRepository } from "../encounters/replies-repository.ts";
import {
  ANYONE,
  isPrivateOnly,
  LISTED,
  mayRead as readable,
  SHOWN_REPLIES,
} from "../encounters/visibility.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls, PATHS } from "../shared/local-urls.ts";
import type { AppFederation } from "./app-federation.ts";
import { createActivityOf, noteContextOf } from "./encounter-delivery.ts";
import { encounterToNote } from "./mappers/note.ts";
import type { TootNote } from "./mappers/toot-terms.ts";

export interface EncounterObjectsDeps {
  urls: LocalUrls;
  members: MembersService;
  access: Pick<EncounterAccess, "mayActorRead">;
  actors: ActorsRepository;
  encounters: EncountersRepository;
  /** Each Note counts its replies. */
  replies: Pick<RepliesRepository, "countByEncounter">;
}

/** Where the `Create` of an encounter is served; its id is `createActivityIri()`. */
export const ENCOUNTER_ACTIVITY_PATH = `${PATHS.encounter}/activity` as const;

const OUTBOX_PAGE_SIZE = 20;
const FIRST_PAGE = "first";

/**
 * The encounters of the instance's members as ActivityPub objects: each Note
 * (and its Create) at its id, and each member's outbox of public encounters.
 * A deleted encounter is not found here; the Fastify route at the same path
 * answers 410 with its Tombstone (Fedify serves objects only with 200).
 */
export function registerEncounterObjects(
  federation: AppFederation,
  deps: EncounterObjectsDeps,
): void {
  const { members, access, actors, encounters, replies } = deps;
  // The dispatcher and the authorize predicate get the same context: load the encounter once.
  const loaded = new WeakMap<object, EncounterView>();

  async function find(ctx: RequestContext<void>, identifier: string, id: string) {
    const encounter = await encounters.findById(id);
    if (
      !encounter?.isLocal ||
      encounter.deletedAt ||
      isPrivateOnly(encounter) ||
      encounter.author.username !== identifier
    ) {
      return undefined;
    }
    loaded.set(ctx, encounter);
    return encounter;
  }

  /** Anyone may read what the rule gives to anyone; others must sign the request as an allowed actor. */
  async function mayRead(ctx: RequestContext<void>, values: { identifier: string; id: string }) {
    const encounter = loaded.get(ctx) ?? (await find(ctx, values.identifier, values.id));
    if (!encounter) return false;
    if (readable(encounter, ANYONE)) return true;
    const owner = await ctx.getSignedKeyOwner();
    const reader = owner?.id?.href;
    // Mastodon in authorized-fetch mode signs with its instance actor, an Application.
    return reader
      ? access.mayActorRead(encounter, reader, { instanceActor: owner instanceof Application })
      : false;
  }

  federation
    .setObjectDispatcher(Note, PATHS.encounter, async (ctx, { identifier, id }) => {
      const encounter = await find(ctx, identifier, id);
      if (!encounter) return null;
      return encounterToNote(encounter, await noteContextOf(deps, encounter)) as TootNote;
    })
    .authorize(mayRead);

  federation
    .setObjectDispatcher(Create, ENCOUNTER_ACTIVITY_PATH, async (ctx, { identifier, id }) => {
      const encounter = await find(ctx, identifier, id);
      return encounter ? createActivityOf(deps, encounter) : null;
    })
    .authorize(mayRead);

  // Exactly the member's username, as the actor dispatcher requires.
  const authorOf = async (identifier: string) => {
    const member = await members.findByUsername(identifier);
    if (member?.username !== identifier) return undefined;
    return actors.findByMemberId(member.id);
  };

  federation
    .setOutboxDispatcher(PATHS.outbox, async (_ctx, identifier, cursor) => {
      if (identifier === INSTANCE_ACTOR_IDENTIFIER) return { items: [] };
      const author = await authorOf(identifier);
      if (!author) return null;
      // Newest first, keyset-paged by the (published_at, id) of the last item seen.
      const before = cursor === null || cursor === FIRST_PAGE ? undefined : decodeKeyset(cursor);
      // A cursor we did not mint (unparseable, or a year PostgreSQL cannot read): no such page.
      if (cursor !== null && cursor !== FIRST_PAGE && !before) return null;
      const limit = cursor === null ? Number.MAX_SAFE_INTEGER : OUTBOX_PAGE_SIZE;
      const page = await encounters.listByAuthor(author.id, {
        limit,
        before,
        visibilities: LISTED,
      });
      const last = page.at(-1);
      const counts = await replies.countByEncounter(
        page.map((e) => e.id),
        SHOWN_REPLIES,
      );
      return {
        items: await Promise.all(page.map((e) => createActivityOf(deps, e, counts.get(e.id)))),
        nextCursor:
          cursor !== null && last && page.length === OUTBOX_PAGE_SIZE
            ? encodeKeyset(encounterKey(last))
            : null,
      };
    })
    .setCounter(async (_ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR_IDENTIFIER) return 0;
      const author = await authorOf(identifier);
      // LISTED is the public ones: kept in actor_counters, never counted here.
      return author ? (await encounters.countsByAuthor(author.id)).public : null;
    })
    .setFirstCursor(async (_ctx, identifier) =>
      identifier !== INSTANCE_ACTOR_IDENTIFIER && (await authorOf(identifier)) ? FIRST_PAGE : null,
    );
}
