import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { isDatabaseUnavailable } from "../../src/db/database-errors.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { createScratchPostgres } from "../support/scratch-postgres.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";

const serverUrl = process.env.TEST_DATABASE_URL;

describe(`/healthz and /readyz (${databaseLabel})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t?.close());

  it("says alive, and ready only while every migration is applied", async () => {
    const alive = await t.app.http.inject({ method: "GET", url: "/healthz" });
    expect(alive.statusCode).toBe(200);
    expect(alive.json()).toEqual({ status: "alive" });
    const ready = await t.app.http.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });

    const [last] = await t.app.database.rows<{ id: number; hash: string; created_at: string }>(
      sql`delete from drizzle.__drizzle_migrations
        where id = (select max(id) from drizzle.__drizzle_migrations) returning *`,
    );
    const behind = await t.app.http.inject({ method: "GET", url: "/readyz" });
    expect(behind.statusCode).toBe(503);
    expect(behind.json().reason).toMatch(/lacks migrations \(\d+ of \d+ applied\)/);
    await t.app.database.rows(sql`insert into drizzle.__drizzle_migrations (id, hash, created_at)
      values (${last?.id}, ${last?.hash}, ${last?.created_at})`);
    expect((await t.app.http.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });
});

// A TCP proxy between the app and PostgreSQL cuts the database away; PGlite lives in the process.
describe.skipIf(!serverUrl)("a PostgreSQL outage", () => {
  let t: TestApp;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl: string;

  beforeAll(async () => {
    const target = new URL(serverUrl as string);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const scratch = await createScratchPostgres(serverUrl as string, {
      prefix: "sdp_outage",
      maxConnections: 3,
    });
    drop = scratch.drop;
    if (scratch.config.kind !== "postgres") throw new Error("a PostgreSQL database was expected");
    const proxied = new URL(scratch.config.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    databaseUrl = proxied.toString();
    t = await buildTestApp({
      database: { kind: "postgres", url: databaseUrl, maxConnections: 3, connectTimeoutSeconds: 2 },
    });
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
  });
  afterAll(async () => {
    await proxy?.restore();
    await t?.close();
    await proxy?.close();
    await drop?.();
  });

  const lookup = () =>
    t.app.http.inject({ method: "GET", url: "/api/v1/accounts/lookup?acct=bea" });

  it("answers 503 with Retry-After while the database is away, and recovers by itself", async () => {
    expect((await lookup()).statusCode).toBe(200);

    await proxy.cut();
    const startedAt = Date.now();
    const refused = await lookup();
    const answeredInMs = Date.now() - startedAt;
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("5");
    expect(refused.json().error).toMatch(/cannot reach its database/);
    const notReady = await t.app.http.inject({ method: "GET", url: "/readyz" });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().reason).toMatch(/database/);
    expect((await t.app.http.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    // Fedify's routes too; an inbox must not answer a delivery 4xx, or its sender drops it.
    const host = new URL(t.baseUrl).host;
    const webfinger = await t.app.http.inject({
      method: "GET",
      url: `/.well-known/webfinger?resource=acct:bea@${host}`,
    });
    expect(webfinger.statusCode).toBe(503);
    const inbox = await t.app.http.inject({
      method: "POST",
      url: "/users/bea/inbox",
      headers: { "content-type": "application/activity+json" },
      payload: JSON.stringify({ type: "Follow", actor: "https://remote.example/users/a" }),
    });
    expect(inbox.statusCode).toBe(503);
    expect(inbox.headers["retry-after"]).toBe("5");

    await proxy.restore();
    await eventually(async () => (await lookup()).statusCode === 200, {
      what: "the lookup to answer again",
    });
    expect((await t.app.http.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    console.info(`[database-outage] 503 answered in ${answeredInMs} ms`);
  });

  it("answers 503 when the database accepts connections but never answers", async () => {
    await proxy.stall();
    // The pool's connections were dropped: this one fails at once, the next must open a new one.
    expect((await lookup()).statusCode).toBe(503);
    const startedAt = Date.now();
    const refused = await lookup();
    const answeredInMs = Date.now() - startedAt;
    await proxy.restore();
    expect(refused.statusCode).toBe(503);
    // The connect timeout of this app (2 s), not the request's patience.
    expect(answeredInMs).toBeLessThan(6_000);
    console.info(`[database-outage] black hole: 503 answered in ${answeredInMs} ms`);
    await eventually(async () => (await lookup()).statusCode === 200, {
      what: "the lookup to answer again",
    });
  });

  // Last: it empties the database.
  it("answers 503 while the database was dropped and created again empty, and serves again once migrated, without a restart", async () => {
    expect((await lookup()).statusCode).toBe(200);
    const name = new URL(databaseUrl).pathname.slice(1);
    const admin = postgres(serverUrl as string, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database ${name} with (force)`);
      await admin.unsafe(`create database ${name}`);
    } finally {
      await admin.end();
    }
    // The pool's connections were ended with the old database; new ones find no tables.
    const refused = await eventually(
      async () => {
        const response = await lookup();
        return response.statusCode === 503 && /lacks its tables/.test(response.json().error)
          ? response
          : undefined;
      },
      { what: "a 503 saying the database lacks its tables" },
    );
    expect(refused.headers["retry-after"]).toBe("30");
    expect((await t.app.http.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(503);

    // The admin restores it (here: migrates it and creates bea again); no restart.
    const database = await openDatabase({ kind: "postgres", url: databaseUrl, maxConnections: 1 });
    try {
      await database.migrate();
    } finally {
      await database.close();
    }
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
    await eventually(async () => (await lookup()).statusCode === 200, {
      what: "the lookup to answer again",
    });
    expect((await t.app.http.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });

  it("cancels a statement that outlasts the statement timeout, as the database being unavailable", async () => {
    const database = await openDatabase({
      kind: "postgres",
      url: databaseUrl,
      maxConnections: 1,
      statementTimeoutMs: 200,
    });
    try {
      const error = await database.rows(sql`select pg_sleep(5)`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await database.close();
    }
  });
});
