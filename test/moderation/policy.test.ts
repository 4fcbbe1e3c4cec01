import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import type { App } from "../../src/app.ts";
import { CLI_MODERATOR } from "../../src/moderation/audit-log.ts";
import { createNotifiedFilter } from "../../src/moderation/notified.ts";
import { createModerationPolicy } from "../../src/moderation/policy.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { insertRemoteEncounter } from "../support/remote-encounter.ts";

const record = (host: string, name: string): RemoteActorRecord => ({
  iri: `https://${host}/users/${name}`,
  type: "Person",
  username: name,
  host,
  name,
  summary: "",
  url: `https://${host}/@${name}`,
  inboxUrl: `https://${host}/users/${name}/inbox`,
  sharedInboxUrl: `https://${host}/inbox`,
  followersUrl: null,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
});

describe(`the moderation policy (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;
  const policy = () => app.repositories.moderationPolicy;
  const listedIds = async () =>
    (await app.encounterRepository.listAll({ limit: 50, visibilities: ["public"] })).map(
      (e) => e.id,
    );

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    await app.members.create({ username: "dora", password: "dora-password-123" });
  });
  afterAll(() => testApp?.close());

  it("decides block, limit, silence and suspend, subdomains included; a block wins", async () => {
    const iri = (host: string) => record(host, "x").iri;
    expect(await policy().decide(iri("fine.example"))).toEqual({ refused: false, limited: false });
    await app.domainPolicies.set({ host: "loud.example", severity: "limit" }, CLI_MODERATOR);
    await app.domainPolicies.set({ host: "bad.loud.example", severity: "block" }, CLI_MODERATOR);
    expect(await policy().decide(iri("a.loud.example"))).toMatchObject({
      refused: false,
      limited: true,
      because: "domain",
    });
    expect(await policy().decide(iri("x.bad.loud.example"))).toMatchObject({
      refused: true,
      because: "domain",
    });
    expect(await policy().hostPolicy("loud.example:443")).toBe("limit");
    expect(await policy().refusesUrl("https://bad.loud.example/users/x#main-key")).toBe(true);
    expect(await policy().refusesInbox("https://a.bad.loud.example/inbox")).toBe(true);
    expect(await policy().refusesInbox("https://loud.example/inbox")).toBe(false);

    await app.actors.upsertRemote(record("calm.example", "shouty"));
    await app.actors.upsertRemote(record("calm.example", "gone"));
    await app.remoteAccounts.act("shouty@calm.example", "silence", "spam", CLI_MODERATOR);
    await app.remoteAccounts.act("gone@calm.example", "suspend", undefined, CLI_MODERATOR);
    expect(await policy().decide(iri("calm.example"))).toEqual({ refused: false, limited: false });
    expect(await policy().decide(record("calm.example", "shouty").iri)).toMatchObject({
      refused: false,
      limited: true,
      because: "account",
    });
    const gone = record("calm.example", "gone");
    expect(await policy().decide(gone.iri)).toMatchObject({ refused: true, because: "account" });
    expect(await policy().refusesUrl(`${gone.iri}/outbox`)).toBe(true);
    expect(await policy().refusesUrl(`${gone.iri}x`)).toBe(false);
    expect(await policy().refusesInbox(gone.inboxUrl)).toBe(true);
    expect(await policy().refusesInbox(gone.sharedInboxUrl as string)).toBe(false);
  });

  it("keeps limited domains and silenced accounts off the public listing, in one query", async () => {
    const quiet = await app.actors.upsertRemote(record("quiet.example", "q"));
    const sub = await app.actors.upsertRemote(record("a.quiet.example", "s"));
    const free = await app.actors.upsertRemote(record("free.example", "f"));
    const ids = {
      quiet: await insertRemoteEncounter(app, quiet),
      sub: await insertRemoteEncounter(app, sub),
      free: await insertRemoteEncounter(app, free),
    };
    expect(await listedIds()).toEqual(expect.arrayContaining(Object.values(ids)));
    await app.domainPolicies.set({ host: "quiet.example", severity: "limit" }, CLI_MODERATOR);
    await app.remoteAccounts.act("f@free.example", "silence", undefined, CLI_MODERATOR);
    const listed = await listedIds();
    expect(listed).not.toContain(ids.quiet);
    expect(listed).not.toContain(ids.sub);
    expect(listed).not.toContain(ids.free);
    // Still readable at its address: limiting is not removing.
    expect(await app.encounterRepository.findById(ids.quiet)).toBeDefined();
    await app.remoteAccounts.act("f@free.example", "unsilence", undefined, CLI_MODERATOR);
    expect(await listedIds()).toContain(ids.free);
  });

  it("makes a limited domain's follows wait for the member's approval", async () => {
    const follower = record("quiet.example", "fan");
    expect(
      await app.follows.receiveFollow({
        follower,
        username: "dora",
        activityIri: "https://quiet.example/follows/1",
      }),
    ).toBe("pending");
    expect((await app.follows.pendingFollowers("dora")).map((a) => a.iri)).toEqual([follower.iri]);
    expect(
      await app.follows.receiveFollow({
        follower: record("free.example", "friend"),
        username: "dora",
        activityIri: "https://free.example/follows/1",
      }),
    ).toBe("accepted");
  });

  it("suspending a remote account forgets what we held of it, and keeps the mark", async () => {
    const troll = await app.actors.upsertRemote(record("free.example", "troll"));
    const encounterId = await insertRemoteEncounter(app, troll);
    await app.follows.receiveFollow({
      follower: record("free.example", "troll"),
      username: "dora",
      activityIri: "https://free.example/follows/2",
    });
    await app.remoteAccounts.act(troll.iri, "suspend", "threats", CLI_MODERATOR);
    expect(await app.encounterRepository.findById(encounterId)).toBeUndefined();
    expect(await app.follows.followState(troll.iri, "dora")).toBeUndefined();
    expect((await app.actors.findByIri(troll.iri))?.suspendedAt).toBeInstanceOf(Date);
    const [last] = await app.auditLog.list({ limit: 1 });
    expect(last).toMatchObject({
      action: "account.suspend",
      subject: "troll@free.example",
      reason: "threats",
      via: "cli",
      moderatorId: null,
    });
  });

  it("lets a silenced author notify only the members who follow it", async () => {
    await app.members.create({ username: "eli", password: "eli-password-1234" });
    const loud = await app.actors.upsertRemote(record("free.example", "loud"));
    await app.follows.follow("dora", record("free.example", "loud"));
    await app.follows.receiveAnswer({
      targetIri: loud.iri,
      followerUsername: "dora",
      accepted: true,
    });
    const dora = (await app.members.findByUsername("dora"))?.id as string;
    const eli = (await app.members.findByUsername("eli"))?.id as string;
    const notified = createNotifiedFilter({ db: app.database.db, policy: policy() });
    expect(await notified(loud, [dora, eli])).toEqual([dora, eli]);
    await app.remoteAccounts.act(loud.iri, "silence", undefined, CLI_MODERATOR);
    expect(await notified(loud, [dora, eli])).toEqual([dora]);
  });

  it("sees another process's change within its TTL, and its own at once", async () => {
    let clock = 0;
    const other = createModerationPolicy({ db: app.database.db, ttlMs: 1000, now: () => clock });
    expect(await other.hostPolicy("later.example")).toBeUndefined();
    await app.domainPolicies.set({ host: "later.example", severity: "block" }, CLI_MODERATOR);
    // Ours was told (invalidate); the other process's cache is still fresh.
    expect(await policy().hostPolicy("later.example")).toBe("block");
    expect(await other.hostPolicy("later.example")).toBeUndefined();
    clock = 1001;
    expect(await other.hostPolicy("later.example")).toBe("block");
  });
});
