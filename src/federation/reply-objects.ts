import type { RequestContext } from "@fedify/fedify";
import { Note } from "@fedify/vocab";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { EncountersRepository, EncounterView } from "../encounters/encounters-repository.ts";
import type { RepliesRepository, ReplyView } from "../encounters/replies-repository.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import { isPrivateOnly } from "../encounters/visibility.ts";
import { type LocalUrls, PATHS } from "../shared/local-urls.ts";
import type { AppFederation } from "./app-federation.ts";
import { ReplyNote } from "./mappers/toot-terms.ts";
import { replyNoteOf } from "./reply-delivery.ts";

export interface ReplyObjectsDeps {
  urls: LocalUrls;
  members: MembersService;
  actors: ActorsRepository;
  encounters: EncountersRepository;
  replies: RepliesRepository;
  /** Who may read which reply: the rule of src/encounters/visibility.ts, through its service. */
  replyAccess: Pick<RepliesService, "list" | "mayActorRead">;
}

const PAGE_SIZE = 50;

/** A collection item given by its id: Fedify lists any item with an `id` as that IRI. */
const byIri = (iri: string) => ({ id: new URL(iri) }) as unknown as Note;

/**
 * What other servers fetch of replies: each reply written here at its id (its `Note`), and
 * the `replies` collection of each encounter's Note — the replies the requesting actor may
 * read (anyone's share without a signature), oldest first, by IRI, as Mastodon lists them.
 */
export function registerReplyObjects(federation: AppFederation, deps: ReplyObjectsDeps): void {
  const { replies, replyAccess } = deps;
  // The dispatcher, the counter and the authorize predicate get the same context.
  const loadedReplies = new WeakMap<object, ReplyView>();
  const visibleReplies = new WeakMap<object, Promise<ReplyView[] | null>>();

  /** Who signed the request (a remote actor, or a server's instance actor), if anyone did. */
  const signer = async (ctx: RequestContext<void>) =>
    (await ctx.getSignedKeyOwner())?.id?.href ?? undefined;

  async function findReply(ctx: RequestContext<void>, identifier: string, id: string) {
    const reply = loadedReplies.get(ctx) ?? (await replies.findById(id));
    if (!reply?.isLocal || reply.deletedAt || reply.author.username !== identifier) {
      return undefined;
    }
    loadedReplies.set(ctx, reply);
    return reply;
  }

  federation
    .setObjectDispatcher(ReplyNote, PATHS.reply, async (ctx, { identifier, id }) => {
      const reply = await findReply(ctx, identifier, id);
      return reply ? ((await replyNoteOf(deps, reply)) as ReplyNote) : null;
    })
    .authorize(async (ctx, { identifier, id }) => {
      const reply = await findReply(ctx, identifier, id);
      if (!reply) return false;
      if (await replyAccess.mayActorRead(reply, undefined)) return true;
      const reader = await signer(ctx);
      return reader ? replyAccess.mayActorRead(reply, reader) : false;
    });

  /** A local encounter that has a Note here, by its author's username. */
  async function findEncounter(identifier: string, id: string): Promise<EncounterView | undefined> {
    const encounter = await deps.encounters.findById(id);
    if (
      !encounter?.isLocal ||
      encounter.deletedAt ||
      isPrivateOnly(encounter) ||
      encounter.author.username !== identifier
    ) {
      return undefined;
    }
    return encounter;
  }

  /** The replies this request's signer may read, or null when it may not read the encounter. */
  function visibleTo(ctx: RequestContext<void>, identifier: string, id: string) {
    let found = visibleReplies.get(ctx);
    if (!found) {
      found = (async () => {
        const encounter = await findEncounter(identifier, id);
        if (!encounter) return null;
        const reader = await signer(ctx);
        return replyAccess
          .list(encounter.id, reader ? { actorIri: reader } : "anyone")
          .catch(() => null);
      })();
      visibleReplies.set(ctx, found);
    }
    return found;
  }

  federation
    .setCollectionDispatcher(
      "replies",
      Note,
      PATHS.encounterReplies,
      async (ctx, { identifier, id }, cursor) => {
        const visible = await visibleTo(ctx, identifier, id);
        if (!visible) return null;
        // Offsets we minted; anything else is a page with nothing on it.
        const offset = cursor === null ? 0 : /^\d{1,9}$/.test(cursor) ? Number(cursor) : -1;
        if (offset < 0) return { items: [] };
        const page = cursor === null ? visible : visible.slice(offset, offset + PAGE_SIZE);
        const next = offset + page.length;
        return {
          items: page.map((reply) => byIri(reply.iri)),
          nextCursor: cursor !== null && next < visible.length ? String(next) : null,
        };
      },
    )
    .setCounter(async (ctx, { identifier, id }) => {
      return (await visibleTo(ctx, identifier, id))?.length ?? null;
    })
    .setFirstCursor(async (ctx, { identifier, id }) =>
      (await visibleTo(ctx, identifier, id)) ? "0" : null,
    )
    .authorize(
      async (ctx, values) =>
        (await visibleTo(ctx, values.identifier ?? "", values.id ?? "")) !== null,
    );
}
