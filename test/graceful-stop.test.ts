import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, type ClientRequest, type IncomingMessage, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { databaseLabel } from "./support/database.ts";
import { freePort } from "./support/free-port.ts";
import { runNode } from "./support/run-node.ts";
import { createScratchPostgres } from "./support/scratch-postgres.ts";
import { serverProcessEnv, startServerProcess } from "./support/server-process.ts";
import { startTcpProxy } from "./support/tcp-proxy.ts";

/**
 * SIGTERM on the real entry point: no new connection, the requests in progress finish with
 * their answer and their write, and the process exits within its grace period.
 */
const PROCESS_TEST_TIMEOUT = 120_000;
const GRACE_SECONDS = 20;

describe(`a stopping server (${databaseLabel})`, () => {
  const started: ChildProcess[] = [];
  let dataDir: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let dropDatabase: (() => Promise<void>) | undefined;
  let token: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "socialdapres-stop-"));
    port = await freePort();
    env = serverProcessEnv(dataDir, port, { SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS) });
    if (process.env.TEST_DATABASE_URL) {
      const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL, {
        prefix: "sdp_stop",
        maxConnections: 5,
      });
      dropDatabase = scratch.drop;
      if (scratch.config.kind === "postgres") env.DATABASE_URL = scratch.config.url;
    }
    const created = await runNode("src/cli/main.ts", ["user", "create", "bea"], {
      env,
      input: "a long passphrase\n",
    });
    expect(created.code, created.stderr).toBe(0);
    const issued = await runNode("src/cli/main.ts", ["token", "create", "bea"], { env });
    expect(issued.code, issued.stderr).toBe(0);
    token = issued.stdout.trim();
  }, PROCESS_TEST_TIMEOUT);
  // A failed test must not leave its server holding the data directory's lock for the next one.
  afterEach(async () => {
    const running = started.filter((child) => child.exitCode === null && child.signalCode === null);
    await Promise.all(
      running.map(
        (child) =>
          new Promise((resolve) => {
            child.once("exit", resolve);
            child.kill("SIGKILL");
          }),
      ),
    );
  });
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
    await dropDatabase?.();
  });

  const startServer = (extraEnv: NodeJS.ProcessEnv = {}) =>
    startServerProcess({ ...env, ...extraEnv }, started);

  const api = (path: string) => `http://127.0.0.1:${port}${path}`;

  /** A POST whose body is sent in two halves: the second when `finish` is called. */
  function slowPost(path: string, body: string) {
    const bytes = Buffer.from(body);
    const half = Math.floor(bytes.length / 2);
    let req: ClientRequest | undefined;
    const answered = new Promise<{
      status: number;
      headers: IncomingMessage["headers"];
      body: string;
    }>((resolve, reject) => {
      req = request(api(path), {
        method: "POST",
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": String(bytes.length),
        },
      });
      req.on("error", reject);
      req.on("response", (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      });
      req.write(bytes.subarray(0, half));
    });
    return { answered, finish: () => req?.end(bytes.subarray(half)) };
  }

  /**
   * Resolves with the error code once a new connection is refused (the listener is closed).
   * A connection that reached the kernel's backlog just before the listener closed is reset
   * instead, without the server ever reading it: that is the closing moment, so try again.
   */
  async function refusedConnection(): Promise<string> {
    const giveUp = Date.now() + 10_000;
    while (Date.now() < giveUp) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve("accepted");
        });
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      });
      if (outcome !== "accepted" && outcome !== "ECONNRESET") return outcome;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return "still accepting";
  }

  it(
    "refuses new connections, finishes the request in progress with its write, and exits 0 at once",
    async () => {
      const server = startServer();
      await server.printed("listening on");
      // An idle keep-alive connection must not hold the stop (Fastify keeps them 72 s).
      const keepAlive = new Agent({ keepAlive: true });
      const idle = await fetchWith(keepAlive, api("/nodeinfo/2.1"));
      expect(idle).toBe(200);

      // Nor a streaming client (Mastodon's WebSocket): it is closed at once.
      const stream = new WebSocket(
        `ws://127.0.0.1:${port}/api/v1/streaming?stream=public&access_token=${token}`,
      );
      await new Promise((resolve, reject) => {
        stream.onopen = resolve;
        stream.onerror = reject;
      });
      const streamClosed = new Promise<number>((resolve) => {
        stream.onclose = (event) => resolve(event.code);
      });

      const post = slowPost(
        "/api/v1/statuses",
        JSON.stringify({ status: "Stored before the stop\navec Marie" }),
      );
      // The server has the request (its headers), not yet its whole body.
      await server.printed('"url":"/api/v1/statuses"');
      const signalledAt = Date.now();
      server.child.kill("SIGTERM");
      await server.printed("shutting down");
      expect(await refusedConnection()).toBe("ECONNREFUSED");

      post.finish();
      const answer = await post.answered;
      expect(answer.status, answer.body).toBe(200);
      expect(answer.headers.connection).toBe("close");
      const { id } = JSON.parse(answer.body) as { id: string };

      expect(await server.exited).toBe(0);
      const stoppedInMs = Date.now() - signalledAt;
      // Neither the idle connection nor the stream waited for the grace period.
      expect(stoppedInMs).toBeLessThan(GRACE_SECONDS * 1000 - 5_000);
      expect(await streamClosed).toBeGreaterThan(0);
      keepAlive.destroy();
      console.info(`[graceful-stop] ${databaseLabel}: exited ${stoppedInMs} ms after SIGTERM`);

      // The write committed: the next process serves it.
      const next = startServer();
      await next.printed("listening on");
      const stored = await fetch(api(`/api/v1/statuses/${id}`), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(stored.status).toBe(200);
      expect(((await stored.json()) as { content: string }).content).toContain(
        "Stored before the stop",
      );
      next.child.kill("SIGTERM");
      expect(await next.exited).toBe(0);
    },
    PROCESS_TEST_TIMEOUT,
  );

  it(
    "cuts a request that outlasts the grace period and still exits within it",
    async () => {
      const server = startServer({ SHUTDOWN_GRACE_SECONDS: "1" });
      await server.printed("listening on");
      const post = slowPost(
        "/api/v1/statuses",
        JSON.stringify({ status: "Never finished\navec Marie" }),
      );
      const cut = post.answered.then(
        () => "answered",
        (error: NodeJS.ErrnoException) => error.code ?? "error",
      );
      await server.printed('"url":"/api/v1/statuses"');
      const signalledAt = Date.now();
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      const stoppedInMs = Date.now() - signalledAt;
      // The grace period, and the bounded steps after it.
      expect(stoppedInMs).toBeGreaterThanOrEqual(1_000);
      expect(stoppedInMs).toBeLessThan(1_000 + 4_000);
      expect(await cut).toBe("ECONNRESET");
      expect(server.output()).toContain("after the grace period");
      console.info(`[graceful-stop] ${databaseLabel}: grace 1 s, exited after ${stoppedInMs} ms`);
    },
    PROCESS_TEST_TIMEOUT,
  );

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    "exits within its grace period while the database never answers",
    async () => {
      const target = new URL(process.env.TEST_DATABASE_URL as string);
      const proxy = await startTcpProxy({
        host: target.hostname,
        port: Number(target.port || 5432),
      });
      try {
        const proxied = new URL(env.DATABASE_URL as string);
        proxied.hostname = "127.0.0.1";
        proxied.port = String(proxy.port);
        const server = startServer({
          DATABASE_URL: proxied.toString(),
          SHUTDOWN_GRACE_SECONDS: "2",
          // Longer than the test: only the grace period can end the waiting request.
          DATABASE_CONNECT_TIMEOUT_SECONDS: "120",
        });
        await server.printed("listening on");
        await proxy.stall();
        const waiting = fetch(api("/api/v1/accounts/lookup?acct=bea")).then(
          (response) => response.status,
          () => "cut",
        );
        await server.printed('"url":"/api/v1/accounts/lookup?acct=bea"');
        const signalledAt = Date.now();
        server.child.kill("SIGTERM");
        expect(await server.exited).toBe(0);
        const stoppedInMs = Date.now() - signalledAt;
        expect(stoppedInMs).toBeLessThan(2_000 + 4_000);
        // Cut, or answered 503 if its pooled connection broke first: never left hanging.
        expect(["cut", 503]).toContain(await waiting);
        console.info(
          `[graceful-stop] postgres unreachable: grace 2 s, exited after ${stoppedInMs} ms`,
        );
      } finally {
        await proxy.close();
      }
    },
    PROCESS_TEST_TIMEOUT,
  );
});

function fetchWith(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    })
      .on("error", reject)
      .end();
  });
}
