import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { Logger } from "../shared/logger.ts";
import type { RemoteLookup } from "./remote-lookup.ts";

/** A remote actor fetched longer ago than this is fetched again when next used. */
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;
/** After a failed refresh, the actor is left alone this long (its server may be down). */
const RETRY_AFTER_MS = 60 * 60 * 1000;
/** Refreshes running at once; beyond that, a stale actor waits for its next use. */
const MAX_RUNNING = 4;
/** Failures remembered at most; the oldest are forgotten first. */
const MAX_REMEMBERED_FAILURES = 1000;
/** Actors remembered as fresh at most (each saves a look-up per activity); oldest first out. */
const MAX_REMEMBERED_FRESH = 10_000;

export interface ActorRefresher {
  /**
   * When `actor` (a row, or an IRI to look up) is a remote actor fetched more than a day ago,
   * fetches it again in the background and stores what it says now. Never waits for the
   * fetch and never throws: the caller goes on with what it has.
   */
  refreshIfStale(actor: ActorRow | string): void;
  /** Resolves once the refreshes under way have finished; later ones are not started. */
  settle(): Promise<void>;
}

export function createActorRefresher(deps: {
  lookup: Pick<RemoteLookup, "lookupActor">;
  actors: Pick<ActorsRepository, "findByIri" | "refreshRemote">;
  logger: Logger;
  staleAfterMs?: number;
  now?: () => number;
}): ActorRefresher {
  const { lookup, actors, logger } = deps;
  const staleAfterMs = deps.staleAfterMs ?? STALE_AFTER_MS;
  const now = deps.now ?? Date.now;
  const running = new Map<string, Promise<void>>();
  const lookups = new Map<string, Promise<void>>();
  const failedAt = new Map<string, number>();
  // When each actor seen fresh turns stale: until then its activities need no look-up. A row
  // only gets fresher (another process may fetch it again), so this never hides a stale one.
  const freshUntil = new Map<string, number>();
  let closed = false;

  const isStale = (row: ActorRow) =>
    row.memberId === null &&
    (row.fetchedAt === null || now() - row.fetchedAt.getTime() > staleAfterMs);

  async function refresh(iri: string): Promise<void> {
    try {
      const record = await lookup.lookupActor(iri);
      // An actor answers for its own id only: a document naming another is not this actor.
      if (record.iri !== iri) throw new Error(`${iri} now serves the actor ${record.iri}`);
      await actors.refreshRemote(record);
      failedAt.delete(iri);
      logger.debug({ actor: iri }, "stale actor refreshed");
    } catch (error) {
      failedAt.delete(iri);
      failedAt.set(iri, now());
      if (failedAt.size > MAX_REMEMBERED_FAILURES) {
        failedAt.delete(failedAt.keys().next().value as string);
      }
      logger.info(
        { actor: iri, reason: error instanceof Error ? error.message : String(error) },
        "stale actor could not be refreshed; the stored one is used",
      );
    }
  }

  function remember(row: ActorRow): void {
    const until =
      row.memberId !== null
        ? Number.POSITIVE_INFINITY
        : (row.fetchedAt?.getTime() ?? 0) + staleAfterMs;
    freshUntil.delete(row.iri);
    freshUntil.set(row.iri, until);
    if (freshUntil.size > MAX_REMEMBERED_FRESH) {
      freshUntil.delete(freshUntil.keys().next().value as string);
    }
  }

  function start(row: ActorRow): void {
    if (!isStale(row)) remember(row);
    if (closed || !isStale(row) || running.has(row.iri) || running.size >= MAX_RUNNING) return;
    const failed = failedAt.get(row.iri);
    if (failed !== undefined && now() - failed < RETRY_AFTER_MS) return;
    const task = refresh(row.iri).finally(() => running.delete(row.iri));
    running.set(row.iri, task);
  }

  return {
    refreshIfStale(actor) {
      if (closed) return;
      if (typeof actor !== "string") return start(actor);
      // The row is read in the background too: the caller never waits for the database.
      if (lookups.has(actor) || running.has(actor)) return;
      if ((freshUntil.get(actor) ?? 0) > now()) return;
      const task = actors
        .findByIri(actor)
        .then((row) => (row ? start(row) : undefined))
        .catch((error: unknown) => logger.warn({ err: error, actor }, "actor look-up failed"))
        .finally(() => lookups.delete(actor));
      lookups.set(actor, task);
    },
    async settle() {
      closed = true;
      while (running.size > 0 || lookups.size > 0) {
        await Promise.allSettled([...lookups.values(), ...running.values()]);
      }
    },
  };
}
