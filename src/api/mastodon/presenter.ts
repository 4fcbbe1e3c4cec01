import type { Member } from "../../accounts/members-service.ts";
import type { ActorRow } from "../../actors/actors-repository.ts";
import type { EncounterView } from "../../encounters/encounters-repository.ts";
import type { ReplyView } from "../../encounters/replies-repository.ts";
import { languageOf, texts } from "../../exposure/weekly-question-texts.ts";
import { encounterContentHtml } from "../../federation/mappers/note.ts";
import { plainTextToHtml } from "../../shared/html.ts";
import {
  type AccountEntity,
  accountEntity,
  credentialAccountEntity,
  instanceAccountEntity,
  NO_COUNTS,
} from "./account.ts";
import type { MastodonDeps } from "./deps.ts";
import {
  encounterStatus,
  NOT_SEEN,
  reblogStatus,
  replyStatus,
  type StatusEntity,
  type ViewerState,
  weeklyQuestionStatus,
} from "./status.ts";

/** Who asks: a member (through their token), or nobody (a public read). */
export type Viewer = { member: Member; actor: ActorRow } | null;

/**
 * Turns what the services return into Mastodon entities: loads what an entity needs (a
 * member's counts, the viewer's likes and co-signs, the replies' count), then calls the pure
 * mappers. One per request: it remembers the accounts it built.
 */
export function createPresenter(deps: MastodonDeps, viewer: Viewer) {
  const { services, urls } = deps;
  const ctx = { origin: urls.origin };
  const accounts = new Map<string, Promise<AccountEntity>>();
  const members = new Map<string, Promise<Member | undefined>>();

  const memberOf = (actor: ActorRow) => {
    if (!actor.memberId) return Promise.resolve(undefined);
    let found = members.get(actor.memberId);
    if (!found) {
      found = services.members.findById(actor.memberId);
      members.set(actor.memberId, found);
    }
    return found;
  };

  async function countsOf(actor: ActorRow, member: Member | undefined) {
    if (!member) return NO_COUNTS;
    // Counters kept in actor_counters: a profile never counts rows.
    const [follows, statuses, latest] = await Promise.all([
      services.follows.counts(member.username),
      deps.repositories.encounters.countsByAuthor(actor.id),
      deps.repositories.encounters.listByAuthor(actor.id, {
        limit: 1,
        visibilities: ["public", "unlisted"],
      }),
    ]);
    return {
      followers: follows.followers,
      following: follows.following,
      statuses: statuses.public + statuses.unlisted,
      lastStatusAt: latest[0]?.publishedAt ?? null,
    };
  }

  function account(actor: ActorRow): Promise<AccountEntity> {
    let built = accounts.get(actor.id);
    if (!built) {
      built = (async () => {
        const member = await memberOf(actor);
        return accountEntity(
          { actor, member: member ?? null, counts: await countsOf(actor, member) },
          ctx,
        );
      })();
      accounts.set(actor.id, built);
    }
    return built;
  }

  /** What a page of statuses needs beyond the encounters: loaded once for the whole page. */
  async function pageFacts(views: readonly EncounterView[]) {
    const [liked, replyCounts] = await Promise.all([
      viewer
        ? services.likes.likedAmong(
            viewer.member.id,
            views.map((v) => v.iri),
          )
        : new Set<string>(),
      services.replies.countsFor(views, replyReader()),
    ]);
    return { liked, replyCounts };
  }

  function viewerState(view: EncounterView, liked: Set<string>): ViewerState {
    if (!viewer) return NOT_SEEN;
    return {
      favourited: liked.has(view.iri),
      reblogged: view.participants.some(
        (p) => p.actorId === viewer.actor.id && p.cosignState === "cosigned",
      ),
    };
  }

  const replyReader = () => (viewer ? { username: viewer.member.username } : ("anyone" as const));

  async function status(
    view: EncounterView,
    facts?: Awaited<ReturnType<typeof pageFacts>>,
  ): Promise<StatusEntity> {
    const { liked, replyCounts } = facts ?? (await pageFacts([view]));
    const author = await memberOf(view.author);
    const language = author?.language ?? null;
    const participants = view.participants.flatMap((p) => (p.actor ? [p.actor] : []));
    const [accountJson, mentioned] = await Promise.all([
      account(view.author),
      Promise.all(participants.map(account)),
    ]);
    const viewerFlags = viewerState(view, liked);
    const contentHtml = view.isLocal
      ? encounterContentHtml(view, { urls, language: language ?? "fr" })
      : (view.remoteContentHtml ?? plainTextToHtml(view.text));
    return encounterStatus(view, {
      account: accountJson,
      contentHtml,
      viewer: viewerFlags,
      language,
      repliesCount: replyCounts.get(view.id) ?? 0,
      mentioned,
      urls,
    });
  }

  async function reply(view: ReplyView): Promise<StatusEntity> {
    const encounter = await deps.repositories.encounters.findById(view.encounterId);
    const parent =
      encounter && view.inReplyToIri === encounter.iri
        ? { id: encounter.id, author: encounter.author }
        : await deps.repositories.replies
            .findByIri(view.inReplyToIri)
            .then((r) => (r ? { id: r.id, author: r.author } : undefined));
    const author = await memberOf(view.author);
    return replyStatus(view, {
      account: await account(view.author),
      contentHtml: "",
      viewer: NOT_SEEN,
      language: author?.language ?? null,
      repliesCount: 0,
      mentioned: [],
      urls,
      inReplyTo: {
        id: parent?.id ?? view.encounterId,
        accountId: parent?.author.id ?? encounter?.authorId ?? view.authorId,
      },
    });
  }

  return {
    account,
    status: (view: EncounterView) => status(view),
    reply,
    /** A page of statuses: likes and reply counts read once for all of them. */
    async statuses(views: EncounterView[]) {
      const facts = await pageFacts(views);
      return Promise.all(views.map((view) => status(view, facts)));
    },
    /** The viewer's co-sign of an encounter, as the boost an app expects back. */
    async cosign(view: EncounterView) {
      if (!viewer) throw new Error("a co-sign needs a viewer");
      const mine = view.participants.find((p) => p.actorId === viewer.actor.id);
      return reblogStatus(
        mine?.id ?? view.id,
        mine?.cosignedAt ?? new Date(),
        await account(viewer.actor),
        await status(view),
      );
    },
    /** The weekly question as a direct message from the instance (src/exposure/). */
    async weeklyQuestion(id: string, at: Date) {
      if (!viewer) throw new Error("the weekly question needs a viewer");
      const language = languageOf(viewer.member.language);
      return weeklyQuestionStatus(id, at, {
        instance: instanceAccountEntity(
          ctx,
          (await services.instanceProfile.get()).name,
          viewer.member.createdAt,
        ),
        member: await account(viewer.actor),
        text: texts(language).question,
        formUrl: new URL("/tracker", urls.origin).href,
        language,
      });
    },
    async credentials() {
      if (!viewer) throw new Error("credentials need a viewer");
      const { member, actor } = viewer;
      const pending = await services.follows.pendingFollowers(member.username);
      return credentialAccountEntity(
        { actor, member, counts: await countsOf(actor, member) },
        { followRequests: pending.length },
        ctx,
      );
    },
  };
}

export type Presenter = ReturnType<typeof createPresenter>;
