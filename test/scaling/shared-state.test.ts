import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStoredAttemptCounters } from "../../src/db/attempt-counters.ts";
import { client, multipart } from "../api/helpers.ts";
import { solid } from "../media/images.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { consentInBrowser, pkcePair } from "../support/oauth.ts";
import { WebClient } from "../support/web.ts";

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/**
 * Two web processes of one instance behind a load balancer: two apps on one PostgreSQL
 * database, one origin, one data directory (disk media; S3 needs none). Whatever one
 * process keeps, the other must see: sessions, rate-limit counts, idempotency keys,
 * uploads, OAuth codes, the streaming API's news.
 */
describe.skipIf(!onPostgres)("two web processes on one PostgreSQL database", () => {
  let one: TestApp;
  let two: TestApp;
  let token: string;

  beforeAll(async () => {
    one = await buildTestApp({ listen: true });
    const { database, dataDir, origin } = one.app.config;
    two = await buildTestApp({ listen: true, database, dataDir, origin, port: await freePort() });
    await one.app.members.create({ username: "bea", password: "bea-password-123" });
    token = await one.app.members.createToken("bea", "test");
  }, 60_000);
  afterAll(async () => {
    await two?.close();
    await one?.close();
  });

  it("a session opened on one process is the member's on the other", async () => {
    const browserOne = await new WebClient(one.app.http).login("bea", "bea-password-123");
    const browserTwo = new WebClient(two.app.http);
    for (const [name, value] of browserOne.cookies) browserTwo.cookies.set(name, value);
    const home = await browserTwo.get("/home");
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('action="/logout"');
    const stranger = await new WebClient(two.app.http).get("/home");
    expect(stranger.body).not.toContain('action="/logout"');
  });

  it("counts failed log-ins from one address together, whatever process checks them", async () => {
    const address = "198.51.100.7";
    const browsers = [one, two].map(
      (t) => new WebClient(t.app.http, {}, { remoteAddress: address }),
    );
    // 20 failures per address and window: 10 on each process.
    for (let i = 0; i < 20; i++) {
      const browser = browsers[i % 2] as WebClient;
      const wrong = await browser.post("/login", { username: "bea", password: `wrong-${i}` });
      expect(wrong.statusCode).toBe(401);
    }
    for (const browser of browsers) {
      const refused = await browser.post("/login", {
        username: "bea",
        password: "bea-password-123",
      });
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    }
  });

  it("counts concurrent failures of several processes without losing one", async () => {
    const counters = [one, two].map((t) => createStoredAttemptCounters(t.app.database.db));
    const now = Date.now();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (counters[i % 2] as ReturnType<typeof createStoredAttemptCounters>).add(
          "test",
          "203.0.113.1",
          60_000,
          now,
        ),
      ),
    );
    const counted = await counters[0]?.read("test", "203.0.113.1", now);
    expect(counted?.failures).toBe(40);
    // Nothing of the address itself is stored.
    const [row] = await one.app.database.rows<{ keys: string }>(
      sql`select string_agg(key_hash, ',') as keys from attempt_counters`,
    );
    expect(row?.keys).not.toContain("203.0.113.1");
    expect(await counters[1]?.sweep(now + 61 * 60_000)).toBeGreaterThan(0);
  });

  it("answers a retried post on the other process with the first result, and posts once", async () => {
    const post = (t: TestApp, status: string) =>
      client(
        t.app,
        token,
      )({
        method: "POST",
        url: "/api/v1/statuses",
        headers: { "idempotency-key": `key-${status.split("\n")[0]}` },
        payload: { status, visibility: "public" },
      });
    const first = await post(one, "Tea\navec Léa");
    const retried = await post(two, "Tea\navec Léa");
    expect(first.statusCode, first.body).toBe(200);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().id).toBe(first.json().id);
    // Sent at once to both processes: one encounter, the same answer.
    const both = await Promise.all([post(one, "Walk\navec Jo"), post(two, "Walk\navec Jo")]);
    expect(both.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(both[1]?.json().id).toBe(both[0]?.json().id);
    const [count] = await one.app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounters`,
    );
    expect(count?.n).toBe(2);
  });

  it("attaches a photo uploaded on one process to a status posted on the other", async () => {
    const data = new FormData();
    const png = await solid(64, 48).png().toBuffer();
    data.append("file", new Blob([new Uint8Array(png)], { type: "image/png" }), "p.png");
    data.append("description", "Marie at the market");
    const uploaded = await client(
      one.app,
      token,
    )({
      method: "POST",
      url: "/api/v2/media",
      ...(await multipart(data)),
    });
    expect(uploaded.statusCode, uploaded.body).toBe(200);
    const media = uploaded.json() as { id: string; url: string };
    const posted = await client(
      two.app,
      token,
    )({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "Market\navec Marie", media_ids: [media.id], visibility: "public" },
    });
    expect(posted.statusCode, posted.body).toBe(200);
    const attachment = posted.json().media_attachments[0] as { url: string };
    // Served by either process.
    for (const t of [one, two]) {
      const photo = await t.app.http.inject({
        method: "GET",
        url: new URL(attachment.url).pathname,
      });
      expect(photo.statusCode).toBe(200);
    }
  });

  it("exchanges on one process the OAuth code a member granted on the other", async () => {
    const twoBase = `http://localhost:${two.app.config.port}`;
    const redirect = "https://app.example/callback";
    const registered = await fetch(`${twoBase}/api/v1/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "App", redirect_uris: redirect, scopes: "read write" }),
    });
    const app = (await registered.json()) as { client_id: string; client_secret: string };
    const { verifier, challenge } = pkcePair();
    const authorize = new URL("/oauth/authorize", one.baseUrl);
    authorize.search = new URLSearchParams({
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: redirect,
      scope: "read write",
      code_challenge: challenge,
      code_challenge_method: "S256",
    }).toString();
    const { response } = await consentInBrowser(one.baseUrl, authorize.href, {
      username: "bea",
      password: "bea-password-123",
    });
    const code = new URL(response.headers.get("location") as string).searchParams.get("code");
    expect(code).toBeTruthy();
    const exchanged = await fetch(`${twoBase}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirect,
        client_id: app.client_id,
        client_secret: app.client_secret,
        code_verifier: verifier,
      }),
    });
    expect(exchanged.status).toBe(200);
    const { access_token } = (await exchanged.json()) as { access_token: string };
    const me = await fetch(`${one.baseUrl}/api/v1/accounts/verify_credentials`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(((await me.json()) as { username: string }).username).toBe("bea");
  });

  it("streams to a client of one process what was posted through the other", async () => {
    const url = `ws://localhost:${two.app.config.port}/api/v1/streaming?stream=user&access_token=${token}`;
    const socket = new WebSocket(url);
    const events: Array<{ event?: string; payload?: string }> = [];
    socket.addEventListener("message", (m) => events.push(JSON.parse(String(m.data))));
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve());
      socket.addEventListener("error", () => reject(new Error("the WebSocket was refused")));
    });
    const posted = await client(
      one.app,
      token,
    )({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "Lunch\navec Paul", visibility: "public" },
    });
    const update = await eventually(async () => events.find((e) => e.event === "update"), {
      what: "the update on the other process",
      timeoutMs: 20_000,
    });
    expect(JSON.parse(update.payload as string).id).toBe(posted.json().id);
    socket.close();
  });
});
