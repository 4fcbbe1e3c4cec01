import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, postEncounter } from "../api/helpers.ts";
import { buildInstancePair, buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { parsePrometheus, samplesOf, scrape, sumOf } from "../support/prometheus.ts";
import { drainQueue } from "../support/queue.ts";
import { startRecorder } from "../support/recording-server.ts";

const TOKEN = "metrics-token-0123456789abcdef";

describe(`/metrics (${databaseLabel})`, () => {
  describe("without METRICS_TOKEN", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp();
    });
    afterAll(() => t?.close());

    it("answers as an unknown path does, whatever the request carries", async () => {
      const unknown = await t.app.http.inject({ method: "GET", url: "/no-such-path" });
      for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }]) {
        const response = await t.app.http.inject({ method: "GET", url: "/metrics", headers });
        expect(response.statusCode).toBe(404);
        expect(response.body).toBe(unknown.body.replace("/no-such-path", "/metrics"));
      }
    });
  });

  describe("with METRICS_TOKEN", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ metricsToken: TOKEN });
    });
    afterAll(() => t?.close());

    it("answers 404, as an unknown path, without the bearer token or with another", async () => {
      const unknown = await t.app.http.inject({ method: "GET", url: "/no-such-path" });
      for (const authorization of [
        undefined,
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        "Bearer ",
        `Basic ${TOKEN}`,
        TOKEN,
      ]) {
        const response = await t.app.http.inject({
          method: "GET",
          url: "/metrics",
          headers: authorization === undefined ? {} : { authorization },
        });
        expect(response.statusCode, String(authorization)).toBe(404);
        expect(response.body).toBe(unknown.body.replace("/no-such-path", "/metrics"));
      }
    });

    it("answers the metrics in Prometheus' text format with the right token", async () => {
      const response = await t.app.http.inject({
        method: "GET",
        url: "/metrics",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.headers["cache-control"]).toBe("no-store");
      const samples = parsePrometheus(response.body);
      // Node's own metrics, in this app's registry with the prefix.
      expect(sumOf(samples, "socialdapres_process_resident_memory_bytes")).toBeGreaterThan(0);
      for (const sample of samples) expect(sample.name).toMatch(/^socialdapres_/);
      // The database pool: its size, and on PostgreSQL its connections by state.
      expect(sumOf(samples, "socialdapres_db_pool_max_connections")).toBe(t.app.database.pool.max);
      if (t.app.database.kind === "postgres") {
        const states = samplesOf(samples, "socialdapres_db_pool_connections").map(
          (sample) => sample.labels.state,
        );
        expect(states.sort()).toEqual(["active", "idle", "idle_in_transaction"]);
        // The scrape's own connection is left out; the pool keeps the others open, idle.
        expect(sumOf(samples, "socialdapres_db_pool_connections")).toBeGreaterThan(0);
      }
    });

    it("times requests by route pattern and status class, never by the raw URL", async () => {
      const response = await t.app.http.inject({
        method: "GET",
        url: "/api/v1/accounts/987654321",
      });
      expect(response.statusCode).toBe(404);
      const { text, samples } = await scrape(t.app, TOKEN);
      expect(text).not.toContain("987654321");
      expect(
        sumOf(samples, "socialdapres_http_request_duration_seconds_count", {
          method: "GET",
          route: "/api/v1/accounts/:id",
          status_class: "4xx",
        }),
      ).toBe(1);
      expect(
        samplesOf(samples, "socialdapres_http_request_duration_seconds_bucket", {
          route: "/api/v1/accounts/:id",
        }).length,
      ).toBeGreaterThan(5);
      await t.app.http.inject({ method: "GET", url: "/no-such-path-42" });
      const after = await scrape(t.app, TOKEN);
      expect(after.text).not.toContain("no-such-path-42");
      expect(
        sumOf(after.samples, "socialdapres_http_request_duration_seconds_count", {
          route: "unmatched",
          status_class: "4xx",
        }),
      ).toBeGreaterThanOrEqual(1);
    });

    it("reads the queue's depth by state and kind, its oldest ready job and its dead jobs", async () => {
      // The app does not listen: no worker takes these jobs.
      const job = (type: string) => JSON.stringify({ type, id: `job-${type}` });
      await t.app.database.rows(sql`
        insert into queue_jobs (message, run_at, attempts, dead_at, last_error) values
          (${job("outbox")}::jsonb, now() - interval '90 seconds', 0, null, null),
          (${job("outbox")}::jsonb, now(), 0, null, null),
          (${job("fanout")}::jsonb, now() + interval '1 hour', 2, null, 'Error: 503'),
          (${job("outbox")}::jsonb, now() - interval '1 day', 15, now(), 'Error: gone'),
          (${job("outbox")}::jsonb, now() - interval '1 day', 15, now(), 'Error: gone')`);
      const { samples } = await scrape(t.app, TOKEN);
      const jobs = (state: string, kind: string) =>
        sumOf(samples, "socialdapres_queue_jobs", { state, kind });
      expect(jobs("ready", "outbox")).toBe(2);
      expect(jobs("waiting", "fanout")).toBe(1);
      expect(jobs("dead", "outbox")).toBe(2);
      expect(jobs("running", "outbox")).toBe(0);
      expect(jobs("ready", "inbox")).toBe(0);
      expect(sumOf(samples, "socialdapres_queue_dead_jobs")).toBe(2);
      const oldest = sumOf(samples, "socialdapres_queue_oldest_ready_seconds", {
        kind: "outbox",
      });
      expect(oldest).toBeGreaterThanOrEqual(90);
      expect(oldest).toBeLessThan(3_600);
      expect(sumOf(samples, "socialdapres_queue_oldest_ready_seconds", { kind: "fanout" })).toBe(0);

      await t.app.database.rows(sql`delete from queue_jobs`);
      const empty = (await scrape(t.app, TOKEN)).samples;
      expect(sumOf(empty, "socialdapres_queue_jobs")).toBe(0);
      expect(sumOf(empty, "socialdapres_queue_dead_jobs")).toBe(0);
    });

    it("reads the outbox relay's lag: the age of the oldest undispatched event", async () => {
      expect(sumOf((await scrape(t.app, TOKEN)).samples, "socialdapres_outbox_events")).toBe(0);
      await t.app.database.rows(sql`
        insert into outbox_events (type, payload, locked_until, created_at)
        values ('test.event', '{}'::jsonb, now() + interval '1 hour', now() - interval '2 minutes')`);
      const { samples } = await scrape(t.app, TOKEN);
      expect(sumOf(samples, "socialdapres_outbox_events")).toBe(1);
      expect(sumOf(samples, "socialdapres_outbox_oldest_event_seconds")).toBeGreaterThanOrEqual(
        120,
      );
      await t.app.database.rows(sql`delete from outbox_events where type = 'test.event'`);
    });

    it("counts inbox refusals by reason", async () => {
      await t.app.members.create({ username: "bea", password: "bea-password-123" });
      const refused = (reason: string) =>
        scrape(t.app, TOKEN).then(({ samples }) =>
          sumOf(samples, "socialdapres_inbox_activities_total", { result: "refused", reason }),
        );
      const unsigned = await t.app.http.inject({
        method: "POST",
        url: "/users/bea/inbox",
        headers: { "content-type": "application/activity+json" },
        payload: {
          "@context": "https://www.w3.org/ns/activitystreams",
          type: "Follow",
          id: "https://elsewhere.example/follows/1",
          actor: "https://elsewhere.example/users/rita",
          object: t.app.urls.actor("bea").href,
        },
      });
      expect(unsigned.statusCode).toBe(401);
      expect(await refused("sender")).toBe(1);
      const garbled = await t.app.http.inject({
        method: "POST",
        url: "/inbox",
        headers: { "content-type": "application/activity+json" },
        payload: "{not json",
      });
      expect(garbled.statusCode).toBe(400);
      expect(await refused("malformed")).toBe(1);
      expect(await refused("sender")).toBe(1);
    });
  });

  describe("between two instances", () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      [a, b] = await buildInstancePair({ metricsToken: TOKEN });
      await b.app.follows.followIri("antoine", a.app.urls.actor("bea").href);
      await eventually(
        async () =>
          (await a.app.follows.followState(b.app.urls.actor("antoine").href, "bea")) === "accepted",
        { what: "bea to accept antoine" },
      );
      await drainQueue(a.app, b.app);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it("counts a delivery to the follower's host as delivered, and B its accepted activity", async () => {
      const bHost = b.app.urls.origin.host;
      const delivered = async () =>
        sumOf((await scrape(a.app, TOKEN)).samples, "socialdapres_deliveries_total", {
          host: bHost,
          outcome: "delivered",
        });
      const accepted = async () =>
        sumOf((await scrape(b.app, TOKEN)).samples, "socialdapres_inbox_activities_total", {
          result: "accepted",
        });
      const [deliveredBefore, acceptedBefore] = [await delivered(), await accepted()];
      const [token] = Object.values(await tokensOf(a));
      const created = await postEncounter(client(a.app, token as string), {
        text: "Un café au marché",
        participants: ["Marie"],
      });
      await drainQueue(a.app, b.app);
      expect(await b.app.encounterRepository.findByIri(created.iri)).toBeDefined();
      expect(await delivered()).toBeGreaterThan(deliveredBefore);
      expect(await accepted()).toBeGreaterThan(acceptedBefore);
      const { samples } = await scrape(a.app, TOKEN);
      // One label per host, never an inbox URL.
      for (const sample of samplesOf(samples, "socialdapres_deliveries_total")) {
        expect(sample.labels.host).toBe(bHost);
      }
      expect(
        sumOf(samples, "socialdapres_deliveries_total", { host: bHost, outcome: "failed" }),
      ).toBe(0);
    });

    it("counts a delivery a stopped peer never answers as failed", async () => {
      // B stops: its port refuses connections, and A's delivery fails (retried later).
      const bHost = b.app.urls.origin.host;
      await b.app.close();
      const [token] = Object.values(await tokensOf(a));
      await postEncounter(client(a.app, token as string), {
        text: "Personne en face",
        participants: ["Marie"],
      });
      await eventually(
        async () =>
          sumOf((await scrape(a.app, TOKEN)).samples, "socialdapres_deliveries_total", {
            host: bHost,
            outcome: "failed",
          }) >= 1,
        { what: "A to count the failed delivery", timeoutMs: 20_000 },
      );
      const { samples } = await scrape(a.app, TOKEN);
      expect(
        sumOf(samples, "socialdapres_queue_jobs", { state: "waiting", kind: "outbox" }),
      ).toBeGreaterThanOrEqual(1);
    });
  });
});

describe(`/metrics: a peer that answers 410 Gone (${databaseLabel})`, () => {
  it("counts the refused delivery as failed, though Fedify does not retry it", async () => {
    const t = await buildTestApp({ listen: true, metricsToken: TOKEN });
    const gone = await startRecorder({
      fault: (post) => (post.type === "Create" ? { status: 410 } : undefined),
    });
    try {
      await t.app.members.create({ username: "bea" });
      const follower = await t.app.remoteLookup.lookupActor(gone.actorIri);
      await t.app.follows.receiveFollow({
        username: "bea",
        follower,
        activityIri: `${gone.origin}/follows/bea`,
      });
      await drainQueue(t.app);
      const host = new URL(gone.origin).host;
      const count = async (outcome: string) =>
        sumOf((await scrape(t.app, TOKEN)).samples, "socialdapres_deliveries_total", {
          host,
          outcome,
        });
      // The Accept of the follow went through.
      expect(await count("delivered")).toBe(1);
      await t.app.encounters.create("bea", { text: "Au parc", participants: ["Zoé"] });
      await drainQueue(t.app);
      expect(gone.posts.map((post) => `${post.type} ${post.status}`)).toContain("Create 410");
      expect(await count("failed")).toBe(1);
      expect(await count("delivered")).toBe(1);
    } finally {
      await t.close();
      await gone.app.close();
    }
  });
});

/** A token for bea on her instance (created once per call). */
async function tokensOf(t: TestApp): Promise<Record<string, string>> {
  return { bea: await t.app.members.createToken("bea", "test") };
}
