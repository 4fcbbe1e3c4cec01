import { Move } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { databaseLabel } from "../support/database.ts";
import { drainQueue } from "../support/queue.ts";

/*
 * bea@A moves to beatrice@C, over real HTTP with real signatures. antoine@B follows bea: B
 * receives the Move, fetches beatrice, finds bea among her aliases, and moves antoine's follow
 * (Undo Follow to A, Follow to C). A Move whose target does not alias back is ignored.
 */
describe(`moving an account across instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let c: TestApp;
  let beaIri: string;
  let malloryIri: string;
  let beatriceIri: string;
  let carolIri: string;
  // B's log says what its Move listener decided.
  const bLog = capturingLogger("info");

  const following = async (app: App, username: string) =>
    (await app.follows.following(username, { limit: 100 })).items.map((r) => r.iri);
  const movedTo = async (app: App, iri: string) =>
    (
      await app.database.rows<{ moved_to: string | null }>(
        sql`select moved_to from actors where iri = ${iri}`,
      )
    )[0]?.moved_to;

  beforeAll(async () => {
    [a, b, c] = await Promise.all([
      buildTestApp({ listen: true }),
      buildTestApp({ listen: true, logger: bLog.logger }),
      buildTestApp({ listen: true }),
    ]);
    await Promise.all([
      a.app.members.create({ username: "bea", password: "bea-password-123" }),
      a.app.members.create({ username: "mallory", password: "mallory-password-1" }),
      b.app.members.create({ username: "antoine", password: "antoine-password-1" }),
      c.app.members.create({ username: "beatrice", password: "beatrice-password-1" }),
      c.app.members.create({ username: "carol", password: "carol-password-12" }),
    ]);
    beaIri = a.app.urls.actor("bea").href;
    malloryIri = a.app.urls.actor("mallory").href;
    beatriceIri = c.app.urls.actor("beatrice").href;
    carolIri = c.app.urls.actor("carol").href;
    await a.app.encounters.create("bea", {
      text: "Avant le déménagement",
      participants: ["Marie"],
      visibility: "public",
    });
    await b.app.follows.followIri("antoine", beaIri);
    await b.app.follows.followIri("antoine", malloryIri);
    await drainQueue(a.app, b.app);
    expect(await a.app.follows.followState(b.app.urls.actor("antoine").href, "bea")).toBe(
      "accepted",
    );
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), c?.close()]);
  });

  it("refuses to move to an account that does not name bea as its own", async () => {
    await expect(a.app.accountMoves.moveTo("bea", beatriceIri)).rejects.toThrow(
      /add this account .* as an alias on the new server first/,
    );
    expect((await a.app.accountMoves.status("bea")).movedTo).toBeNull();
  });

  it("moves antoine's follow from bea@A to beatrice@C, and the old actor points to the new", async () => {
    expect(await c.app.accountMoves.setAliases("beatrice", [beaIri])).toEqual([beaIri]);
    const served = await fetch(beatriceIri, { headers: { accept: "application/activity+json" } });
    // One alias is written as a bare IRI (compacted JSON-LD), as Mastodon writes it too.
    expect([((await served.json()) as { alsoKnownAs: unknown }).alsoKnownAs].flat()).toEqual([
      beaIri,
    ]);

    await a.app.accountMoves.moveTo("bea", beatriceIri);
    await drainQueue(a.app, b.app, c.app);

    // B: antoine follows beatrice (accepted by C), no longer bea; bea is marked as moved.
    expect(await following(b.app, "antoine")).toContain(beatriceIri);
    expect(await following(b.app, "antoine")).not.toContain(beaIri);
    expect(await movedTo(b.app, beaIri)).toBe(beatriceIri);
    // A received the Undo of the old Follow; C the new Follow.
    const antoineIri = b.app.urls.actor("antoine").href;
    expect(await a.app.follows.followState(antoineIri, "bea")).toBeUndefined();
    expect(await c.app.follows.followState(antoineIri, "beatrice")).toBe("accepted");
    // The old actor says where bea went; her profile page too.
    const actor = await fetch(beaIri, { headers: { accept: "application/activity+json" } });
    expect(((await actor.json()) as { movedTo: unknown }).movedTo).toBe(beatriceIri);
    const page = await (
      await fetch(`${a.baseUrl}/@bea`, { headers: { accept: "text/html" } })
    ).text();
    expect(page).toContain("a déménagé vers");
    expect(page).toContain(`href="${beatriceIri}"`);
    expect(page).toContain("Avant le déménagement");
    // Every delivery was accepted.
    for (const app of [a.app, b.app, c.app]) {
      const [dead] = await app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from queue_jobs where dead_at is not null`,
      );
      expect(dead?.n).toBe(0);
    }
  });

  it("refuses to post from the account that moved away", async () => {
    await expect(
      a.app.encounters.create("bea", {
        text: "Encore",
        participants: ["Marie"],
        visibility: "public",
      }),
    ).rejects.toThrow(/has moved to/);
  });

  it("ignores a Move whose target does not alias back, and one that moves someone else", async () => {
    const ctx = a.app.federation.createContext(a.app.urls.origin, undefined);
    const antoine = await a.app.actors.findByIri(b.app.urls.actor("antoine").href);
    expect(antoine).toBeDefined();
    const recipient = {
      id: new URL(antoine?.iri ?? ""),
      inboxId: new URL(antoine?.inboxUrl ?? ""),
    };
    const mallory = new URL(malloryIri);
    // carol never named mallory as hers.
    await ctx.sendActivity(
      { identifier: "mallory" },
      recipient,
      new Move({
        id: new URL(`${malloryIri}#move-1`),
        actor: mallory,
        object: mallory,
        target: new URL(carolIri),
      }),
    );
    // beatrice names bea, not mallory: mallory cannot move bea.
    await ctx.sendActivity(
      { identifier: "mallory" },
      recipient,
      new Move({
        id: new URL(`${malloryIri}#move-2`),
        actor: mallory,
        object: new URL(beaIri),
        target: new URL(beatriceIri),
      }),
    );
    await drainQueue(a.app, b.app, c.app);
    expect(await following(b.app, "antoine")).toContain(malloryIri);
    expect(await following(b.app, "antoine")).not.toContain(carolIri);
    expect(await movedTo(b.app, malloryIri)).toBeNull();
    // Both reached B's listener, signed and verified, and were turned down there.
    const decided = bLog.logs.filter((line) => line.includes(malloryIri) && /Move/.test(line));
    expect(decided.some((line) => line.includes('"status":"not_aliased"'))).toBe(true);
    expect(decided.some((line) => line.includes("an account moves only itself"))).toBe(true);
  });

  it("imports a following list: the worker looks each account up and follows it through the queue", async () => {
    const csv = `Account address,Show boosts,Notify on new posts,Languages\ncarol@${c.app.urls.origin.host},true,false,\n`;
    expect(await b.app.followImports.importCsv("antoine", csv)).toEqual({ queued: 1, errors: [] });
    expect(await following(b.app, "antoine")).not.toContain(carolIri);
    await b.app.memberDataWorker.tick();
    await drainQueue(b.app, c.app);
    expect(await following(b.app, "antoine")).toContain(carolIri);
    expect(await b.app.followImports.progress("antoine")).toMatchObject({
      done: 1,
      pending: 0,
      failed: 0,
    });
  });
});
