import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseConfig } from "../../src/db/database.ts";
import { solid } from "../media/images.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/free-port.ts";
import { parsePrometheus, sumOf } from "../support/prometheus.ts";
import { type Recorder, recorderFollows, startRecorder } from "../support/recording-server.ts";
import { createScratchPostgres } from "../support/scratch-postgres.ts";
import { serverProcessEnv, startServerProcess } from "../support/server-process.ts";
import { remoteHttp, WebClient } from "../support/web.ts";

const serverUrl = process.env.TEST_DATABASE_URL;
const TOKEN = "multi-process-metrics-token-0123456789";
const ENCOUNTERS = 20;

/**
 * The instance as an operator scales it: 2 web and 2 worker processes (`node src/main.js`)
 * on one PostgreSQL database and one data directory, a peer on loopback following a member.
 * A browser logs in on web 1 and posts through web 2; the workers share the deliveries;
 * the peer receives each encounter exactly once.
 */
describe.skipIf(!serverUrl)("2 web + 2 worker processes on one PostgreSQL database", () => {
  const started: ChildProcess[] = [];
  let drop: () => Promise<void> = async () => {};
  let dataDir: string;
  let ports: { web: number[]; worker: number[] };
  let admin: TestApp;
  let rec: Recorder;

  beforeAll(async () => {
    const fresh = await createScratchPostgres(serverUrl as string, {
      prefix: "sdp_multi",
      maxConnections: 5,
    });
    drop = fresh.drop;
    const database = fresh.config as Extract<DatabaseConfig, { kind: "postgres" }>;
    dataDir = await mkdtemp(join(tmpdir(), "socialdapres-multi-"));
    ports = {
      web: [await freePort(), await freePort()],
      worker: [await freePort(), await freePort()],
    };
    const origin = `http://localhost:${ports.web[0]}`;
    const start = (role: "web" | "worker", port: number) => {
      const env = serverProcessEnv(dataDir, port, {
        ROLE: role,
        DATABASE_URL: database.url,
        DATABASE_MAX_CONNECTIONS: "4",
        ORIGIN: origin,
        FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
        METRICS_TOKEN: TOKEN,
        // One job at a time per worker: while one delivers to the slow peer, the next job
        // can only go to the other (with more slots, one worker may rightly take them all).
        QUEUE_CONCURRENCY: "1",
      });
      const server = startServerProcess(env, started);
      return server.printed(role === "web" ? "listening on" : "worker running");
    };
    // One first, so that it migrates and binds the origin; the others at once (an advisory
    // lock would make them wait anyway).
    await start("web", ports.web[0] as number);
    await Promise.all([
      start("web", ports.web[1] as number),
      ...ports.worker.map((port) => start("worker", port)),
    ]);
    // In this process, the same instance for setting up and looking: it runs no queue.
    admin = await buildTestApp({ database, dataDir, origin: new URL(origin), role: "web" });
    await admin.app.members.create({ username: "bea", password: "bea-password-123" });
    // A slow peer, so that deliveries pile up and both workers claim some.
    rec = await startRecorder({
      fault: ({ type }) => (type === "Create" ? { delayMs: 1_000 } : undefined),
    });
    await recorderFollows(rec, admin.app, "bea");
  }, 120_000);

  afterAll(async () => {
    for (const child of started) if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.all(
      started.map((child) =>
        child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : null,
      ),
    );
    await rec?.app.close();
    await admin?.close();
    await drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  const web = (i: number) => `http://127.0.0.1:${ports.web[i]}`;
  const metricsOf = async (port: number) => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    return parsePrometheus(await response.text());
  };

  it("logs in on one web process, posts through the other, and delivers every encounter once", async () => {
    const one = await new WebClient(remoteHttp(web(0))).login("bea", "bea-password-123");
    const two = new WebClient(remoteHttp(web(1)));
    for (const [name, value] of one.cookies) two.cookies.set(name, value);
    // The session opened on web 1 is bea's on web 2 (the form there carries its CSRF token).
    const form = await two.get("/compose");
    expect(form.statusCode).toBe(200);

    // A photo sent on web 1 without its description is kept (database and data directory);
    // web 2 attaches it once described.
    const png = await solid(64, 48).png().toBuffer();
    const kept = await one.postMultipart(
      "/compose",
      { participants: ["Marie"], text: "Encounter 0", visibility: "public" },
      { photo: { bytes: png, type: "image/png", name: "p.png" } },
    );
    expect(kept.statusCode).toBe(422);
    const upload = /name="upload" value="([0-9a-f-]{36})"/.exec(kept.body)?.[1] as string;
    expect(upload).toBeDefined();
    for (let i = 0; i < ENCOUNTERS; i++) {
      const fields = { participants: ["Marie"], text: `Encounter ${i}`, visibility: "public" };
      const posted = await two.postMultipart(
        "/compose",
        i === 0 ? { ...fields, photoAlt: "Marie at the market", upload } : fields,
        { photo: { bytes: Buffer.alloc(0) } },
      );
      expect(posted.statusCode, posted.body.slice(0, 300)).toBe(303);
    }

    // Every Create reached the peer, and the queue holds nothing more to send.
    await eventually(
      async () => rec.deliveries.filter((d) => d.type === "Create").length >= ENCOUNTERS,
      { what: "the peer to receive every encounter", timeoutMs: 60_000 },
    );
    await eventually(
      async () => {
        const [left] = await admin.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from queue_jobs where dead_at is null`,
        );
        const [events] = await admin.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from outbox_events`,
        );
        return left?.n === 0 && events?.n === 0;
      },
      { what: "the queue and the outbox to empty", timeoutMs: 30_000 },
    );
    const creates = rec.deliveries.filter((d) => d.type === "Create");
    expect(creates).toHaveLength(ENCOUNTERS);
    expect(new Set(creates.map((d) => d.id)).size).toBe(ENCOUNTERS);
    const photo = rec.received.find((r) => JSON.stringify(r.json).includes("Encounter 0"));
    expect(JSON.stringify(photo?.json)).toContain("Marie at the market");

    // Both workers delivered (each counts its own attempts), the web processes none.
    const host = new URL(rec.origin).host;
    const delivered = await Promise.all(
      [...ports.worker, ...ports.web].map(async (port) =>
        sumOf(await metricsOf(port), "socialdapres_deliveries_total", {
          host,
          outcome: "delivered",
        }),
      ),
    );
    const [workerOne = 0, workerTwo = 0, webOne = 0, webTwo = 0] = delivered;
    expect(workerOne).toBeGreaterThan(0);
    expect(workerTwo).toBeGreaterThan(0);
    expect(webOne + webTwo).toBe(0);
    // Creates and the Accept of the follow.
    expect(workerOne + workerTwo).toBe(ENCOUNTERS + 1);
  }, 120_000);
});
