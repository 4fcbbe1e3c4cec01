import { readFileSync } from "node:fs";
import { Create, Follow } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKvStore } from "../../src/federation/kv-store.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, startRecorder } from "../support/recording-server.ts";

const allJobs = async (t: TestApp) =>
  (await t.app.database.rows<{ n: number }>(sql`select count(*)::int as n from queue_jobs`))[0]?.n;

describe(`received activities that can never be handled are dropped, not retried (${databaseLabel})`, () => {
  let a: TestApp;
  let rita: Recorder;

  beforeAll(async () => {
    [a, rita] = await Promise.all([buildTestApp({ listen: true }), startRecorder()]);
    await a.app.members.create({ username: "bea", password: "bea-password-123" });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), rita?.app.close()]);
  });

  async function sendToSharedInbox(activity: Create | Follow) {
    const ctx = rita.federation.createContext(new URL(rita.origin), undefined);
    await ctx.sendActivity(
      { identifier: "rita" },
      { id: new URL(a.app.urls.actor("bea")), inboxId: new URL(`${a.baseUrl}/inbox`) },
      activity,
    );
  }

  it("a Follow of nobody, and a Create whose object its own server says is gone", async () => {
    await sendToSharedInbox(
      new Follow({
        id: new URL("/follows/nobody", rita.origin),
        actor: new URL(rita.actorIri),
        object: new URL(`${a.baseUrl}/users/nobody`),
      }),
    );
    await sendToSharedInbox(
      new Create({
        id: new URL("/creates/gone", rita.origin),
        actor: new URL(rita.actorIri),
        object: new URL("/notes/gone", rita.origin),
      }),
    );
    await drainQueue(a.app);
    // Nothing planned for later either: no retry of what cannot succeed.
    expect(await allJobs(a)).toBe(0);
  });
});

describe(`keys cached before they were bound to their owners are forgotten (${databaseLabel})`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t?.close());

  it("the migration removes cached keys and documents, and nothing else", async () => {
    const kv = createKvStore(t.app.database);
    await kv.set(["_fedify", "publicKey", "https://evil.example/keys/1"], { owner: "x" });
    await kv.set(["_fedify", "remoteDocument", "https://evil.example/users/m"], { id: "m" });
    await kv.set(["_fedify", "httpMessageSignaturesSpec", "https://peer.example"], "rfc9421");
    await kv.set(["socialdapres", "publicKey"], 1);
    const migration = readFileSync(
      new URL("../../migrations/0008_purge_unbound_keys.sql", import.meta.url),
      "utf8",
    );
    await t.app.database.rows(sql.raw(migration));
    expect(await kv.get(["_fedify", "publicKey", "https://evil.example/keys/1"])).toBeUndefined();
    expect(
      await kv.get(["_fedify", "remoteDocument", "https://evil.example/users/m"]),
    ).toBeUndefined();
    expect(await kv.get(["_fedify", "httpMessageSignaturesSpec", "https://peer.example"])).toBe(
      "rfc9421",
    );
    expect(await kv.get(["socialdapres", "publicKey"])).toBe(1);
  });
});
