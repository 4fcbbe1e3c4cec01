import { describe, expect, it, vi } from "vitest";
import type { ActorRow, RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import { createActorRefresher, STALE_AFTER_MS } from "../../src/federation/actor-refresh.ts";
import { createParticipantResolver } from "../../src/federation/participant-resolver.ts";
import { localUrls } from "../../src/shared/local-urls.ts";
import { createLogger } from "../../src/shared/logger.ts";

const NOW = Date.parse("2026-05-01T12:00:00Z");
const logger = createLogger({ level: "silent" });

const row = (
  iri: string,
  fetchedAgoMs: number | null,
  memberId: string | null = null,
): ActorRow => ({
  id: crypto.randomUUID(),
  iri,
  memberId,
  type: "Person",
  username: "ann",
  host: new URL(iri).host,
  name: "Ann",
  summary: "",
  url: null,
  inboxUrl: `${iri}/inbox`,
  sharedInboxUrl: null,
  followersUrl: null,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
  fetchedAt: fetchedAgoMs === null ? null : new Date(NOW - fetchedAgoMs),
  movedTo: null,
  suspendedAt: null,
  silencedAt: null,
  createdAt: new Date(NOW - 30 * STALE_AFTER_MS),
});

const recordOf = (actor: ActorRow, name: string): RemoteActorRecord => ({
  iri: actor.iri,
  type: "Person",
  username: actor.username,
  host: actor.host,
  name,
  summary: "",
  url: null,
  inboxUrl: actor.inboxUrl,
  sharedInboxUrl: null,
  followersUrl: null,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
});

function setup(lookupActor: (iri: string) => Promise<RemoteActorRecord>, rows: ActorRow[] = []) {
  let now = NOW;
  const stored: RemoteActorRecord[] = [];
  const lookup = { lookupActor: vi.fn(lookupActor) };
  const reads: string[] = [];
  const refresher = createActorRefresher({
    lookup,
    actors: {
      findByIri: async (iri) => {
        reads.push(iri);
        return rows.find((r) => r.iri === iri);
      },
      refreshRemote: async (record) => {
        stored.push(record);
        return undefined;
      },
    },
    logger,
    now: () => now,
  });
  return { refresher, lookup, stored, reads, advance: (ms: number) => (now += ms) };
}

describe("stale remote actors are refreshed in the background", () => {
  const ann = row("https://remote.example/users/ann", STALE_AFTER_MS + 1);

  it("fetches an actor more than a day old once, however often it is used meanwhile", async () => {
    const { refresher, lookup, stored } = setup(async () => recordOf(ann, "Ann (new)"));
    refresher.refreshIfStale(ann);
    refresher.refreshIfStale(ann);
    refresher.refreshIfStale(ann.iri);
    await refresher.settle();
    expect(lookup.lookupActor).toHaveBeenCalledTimes(1);
    expect(stored.map((r) => r.name)).toEqual(["Ann (new)"]);
  });

  it("leaves alone an actor fetched less than a day ago, one never fetched is stale, a member never", async () => {
    const { refresher, lookup } = setup(async (iri) => recordOf(row(iri, 0), "x"));
    refresher.refreshIfStale(row("https://remote.example/users/fresh", STALE_AFTER_MS - 60_000));
    refresher.refreshIfStale(row("http://localhost/users/bea", null, "member-id"));
    refresher.refreshIfStale(row("https://remote.example/users/never", null));
    await refresher.settle();
    expect(lookup.lookupActor.mock.calls.map(([iri]) => iri)).toEqual([
      "https://remote.example/users/never",
    ]);
  });

  it("reads a fresh actor's row once for all its activities, until it may have turned stale", async () => {
    const fresh = row("https://remote.example/users/fresh", 60 * 60_000);
    const { refresher, lookup, reads, advance } = setup(async () => recordOf(fresh, "x"), [fresh]);
    const settled = () => new Promise((resolve) => setTimeout(resolve, 10));
    refresher.refreshIfStale(fresh.iri);
    await settled();
    refresher.refreshIfStale(fresh.iri);
    refresher.refreshIfStale(fresh.iri);
    await settled();
    expect(reads).toEqual([fresh.iri]);
    advance(STALE_AFTER_MS);
    refresher.refreshIfStale(fresh.iri);
    await settled();
    await refresher.settle();
    expect(reads).toEqual([fresh.iri, fresh.iri]);
    expect(lookup.lookupActor).toHaveBeenCalledTimes(1);
  });

  it("never stores what another actor's document says, and waits an hour after a failure", async () => {
    const other = row("https://remote.example/users/other", 0);
    const { refresher, lookup, stored, advance } = setup(async () => recordOf(other, "Other"));
    refresher.refreshIfStale(ann);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stored).toEqual([]);
    refresher.refreshIfStale(ann);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lookup.lookupActor).toHaveBeenCalledTimes(1);
    advance(61 * 60_000);
    refresher.refreshIfStale(ann);
    await refresher.settle();
    expect(lookup.lookupActor).toHaveBeenCalledTimes(2);
  });

  it("starts nothing once settled (the app is closing)", async () => {
    const { refresher, lookup } = setup(async () => recordOf(ann, "x"));
    await refresher.settle();
    refresher.refreshIfStale(ann);
    refresher.refreshIfStale(ann.iri);
    await refresher.settle();
    expect(lookup.lookupActor).not.toHaveBeenCalled();
  });

  it("the participant resolver answers with the stored actor at once, while its server is slow", async () => {
    let release = () => {};
    const hanging = new Promise<RemoteActorRecord>((resolve) => {
      release = () => resolve(recordOf(ann, "Ann (new)"));
    });
    const { refresher, lookup, stored } = setup(() => hanging, [ann]);
    const resolver = createParticipantResolver({
      lookup,
      refresher,
      urls: localUrls(new URL("http://localhost:3000")),
      members: {} as never,
      actors: { findByIri: async () => ann } as never,
      logger,
    });
    await expect(resolver.resolve(ann.iri)).resolves.toBe(ann);
    expect(lookup.lookupActor).toHaveBeenCalledTimes(1);
    expect(stored).toEqual([]);
    release();
    await refresher.settle();
    expect(stored.map((r) => r.name)).toEqual(["Ann (new)"]);
  });
});
