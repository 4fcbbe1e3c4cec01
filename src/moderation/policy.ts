import { isNotNull, or, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../db/database.ts";
import { actors, type DomainSeverity, domainPolicies, members } from "../db/schema.ts";
import { coveringCandidates } from "./hosts.ts";

/** What the instance lets a remote actor (or every actor of a host) do. */
export interface ActorDecision {
  /** Blocked domain or suspended account: its activities and documents are refused, nothing is sent to it. */
  refused: boolean;
  /** Limited domain or silenced account: off the public tag page, its follows wait for approval. */
  limited: boolean;
  /** Why, when either: its domain's policy or the account's own mark. */
  because?: "domain" | "account";
}

const FREE: ActorDecision = { refused: false, limited: false };

export interface ModerationPolicy {
  /** The policy of the domain covering `host` (a block wins over a limit on a parent domain). */
  hostPolicy(host: string): Promise<DomainSeverity | undefined>;
  /** What an actor, by its id, may do: its domain's policy and its own mark together. */
  decide(actorIri: string): Promise<ActorDecision>;
  /** Whether a fetch of `url` is refused: a blocked host, or a suspended actor's document. */
  refusesUrl(url: string | URL): Promise<boolean>;
  /** Whether a delivery to this inbox is dropped: a blocked host, or a suspended actor's inbox. */
  refusesInbox(inboxUrl: string): Promise<boolean>;
  /** Forgets the cached policies: called after every change made in this process. */
  invalidate(): void;
}

interface Snapshot {
  loadedAt: number;
  domains: Map<string, DomainSeverity>;
  /** Suspended and silenced remote actors, by id. */
  marked: Map<string, { suspended: boolean; silenced: boolean; inbox: string }>;
  suspendedInboxes: Set<string>;
}

/**
 * The one place that decides what a host or a remote actor may do. Domain policies and the
 * marks of suspended or silenced accounts are few: each process keeps them all in memory,
 * read again after a change it made (`invalidate`) and at most `ttlMs` after the last read
 * otherwise, so another process's change (a CLI on PostgreSQL, a second web process) is seen
 * within that time (30 s by default).
 */
export function createModerationPolicy(deps: {
  db: Db;
  ttlMs?: number;
  now?: () => number;
}): ModerationPolicy {
  const { db } = deps;
  const ttlMs = deps.ttlMs ?? 30_000;
  const now = deps.now ?? Date.now;
  let snapshot: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;
  let generation = 0;

  async function load(): Promise<Snapshot> {
    const started = generation;
    const domains = await db
      .select({ host: domainPolicies.host, severity: domainPolicies.severity })
      .from(domainPolicies);
    const rows = await db
      .select({
        iri: actors.iri,
        inbox: actors.inboxUrl,
        suspendedAt: actors.suspendedAt,
        silencedAt: actors.silencedAt,
      })
      .from(actors)
      .where(or(isNotNull(actors.suspendedAt), isNotNull(actors.silencedAt)));
    const loaded: Snapshot = {
      loadedAt: now(),
      domains: new Map(domains.map((d) => [d.host, d.severity])),
      marked: new Map(
        rows.map((r) => [
          r.iri,
          { suspended: r.suspendedAt !== null, silenced: r.silencedAt !== null, inbox: r.inbox },
        ]),
      ),
      suspendedInboxes: new Set(rows.filter((r) => r.suspendedAt !== null).map((r) => r.inbox)),
    };
    // Changed while it loaded: keep it for this caller only, the next one reads again.
    if (started === generation) snapshot = loaded;
    return loaded;
  }

  async function current(): Promise<Snapshot> {
    if (snapshot && now() - snapshot.loadedAt < ttlMs) return snapshot;
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  function severityOf(state: Snapshot, host: string): DomainSeverity | undefined {
    let found: DomainSeverity | undefined;
    for (const candidate of coveringCandidates(host)) {
      const severity = state.domains.get(candidate);
      if (severity === "block") return "block";
      found ??= severity;
    }
    return found;
  }

  const hostOf = (url: string | URL) => URL.parse(String(url))?.host;

  return {
    async hostPolicy(host) {
      return severityOf(await current(), host);
    },

    async decide(actorIri) {
      const host = hostOf(actorIri);
      if (!host) return FREE;
      const state = await current();
      const severity = severityOf(state, host);
      if (severity === "block") return { refused: true, limited: true, because: "domain" };
      const mark = state.marked.get(actorIri);
      if (mark?.suspended) return { refused: true, limited: true, because: "account" };
      if (severity === "limit") return { refused: false, limited: true, because: "domain" };
      if (mark?.silenced) return { refused: false, limited: true, because: "account" };
      return FREE;
    },

    async refusesUrl(url) {
      const host = hostOf(url);
      if (!host) return false;
      const state = await current();
      if (severityOf(state, host) === "block") return true;
      const text = String(url).replace(/#.*$/, "");
      for (const [iri, mark] of state.marked) {
        if (mark.suspended && (text === iri || text.startsWith(`${iri}/`))) return true;
      }
      return false;
    },

    async refusesInbox(inboxUrl) {
      const host = hostOf(inboxUrl);
      if (!host) return false;
      const state = await current();
      return severityOf(state, host) === "block" || state.suspendedInboxes.has(inboxUrl);
    },

    invalidate() {
      generation++;
      snapshot = undefined;
    },
  };
}

/**
 * The listing rule of the public tag page and the public timelines
 * (`EncountersRepository.listAll`), in SQL: the author is neither suspended nor silenced (a
 * remote actor by `actors`, a member by `members`), and no block or limit covers its host (the
 * same matching as `hostCovers`, src/moderation/hosts.ts).
 */
export function publiclyListedAuthor(authorId: AnyPgColumn): SQL {
  return sql`not exists (
    select 1 from ${actors} as listed_author
    where listed_author.id = ${authorId}
      and (listed_author.suspended_at is not null
        or listed_author.silenced_at is not null
        or exists (
          select 1 from ${members} as listed_member
          where listed_member.id = listed_author.member_id and listed_member.suspended_at is not null)
        or exists (
          select 1 from ${domainPolicies} as policy
          cross join lateral (select case when position(':' in policy.host) > 0
            then lower(listed_author.host)
            else split_part(lower(listed_author.host), ':', 1) end as candidate) as c
          where c.candidate = policy.host
            or right(c.candidate, length(policy.host) + 1) = '.' || policy.host)))`;
}
