import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./support/free-port.ts";
import { runNode } from "./support/run-node.ts";
import { serverProcessEnv, startServerProcess } from "./support/server-process.ts";

/**
 * The real entry points, as a newcomer runs them: `node src/main.js` on the
 * embedded database, the CLI beside it, SIGTERM, and a restart on the same data.
 */
// Each test starts real Node processes: a loaded 2-core machine needs more than the default 30 s.
const PROCESS_TEST_TIMEOUT = 120_000;

describe("the server process on the embedded database", () => {
  const started: ChildProcess[] = [];
  let dataDir: string;
  let port: number;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "socialdapres-process-"));
    port = await freePort();
    env = serverProcessEnv(dataDir, port);
  });
  afterAll(async () => {
    // A test that failed midway must not leave its server holding the data directory.
    for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  function startServer() {
    const server = startServerProcess(env, started);
    return { ...server, ready: server.printed("listening on") };
  }

  const run = (script: string, args: string[], input?: string) =>
    runNode(script, args, { env, input });

  const webfinger = () =>
    fetch(`http://127.0.0.1:${port}/.well-known/webfinger?resource=acct:bea@localhost:${port}`);

  it(
    "serves, takes CLI commands while running, refuses a second server, and stops cleanly on SIGTERM",
    async () => {
      const server = startServer();
      await server.ready;
      expect((await fetch(`http://127.0.0.1:${port}/nodeinfo/2.1`)).status).toBe(200);

      const created = await run(
        "src/cli/main.ts",
        ["user", "create", "bea"],
        "a long passphrase\n",
      );
      expect(created.stdout).toContain(`Created @bea@localhost:${port}`);
      expect(created.stdout).not.toContain("Password (shown once)");
      expect(created.code).toBe(0);
      expect((await webfinger()).status).toBe(200);

      const second = await run("src/main.js", []);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/already uses/);

      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(existsSync(join(dataDir, "socialdapres.pid"))).toBe(false);
    },
    PROCESS_TEST_TIMEOUT,
  );

  it(
    "keeps its data across a restart",
    async () => {
      const server = startServer();
      await server.ready;
      const response = await webfinger();
      expect(response.status).toBe(200);
      expect(((await response.json()) as { subject: string }).subject).toBe(
        `acct:bea@localhost:${port}`,
      );
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    },
    PROCESS_TEST_TIMEOUT,
  );

  it(
    "lets the CLI open the database itself when no server runs, under the same origin only",
    async () => {
      const listed = await run("src/cli/main.ts", ["user", "list"]);
      expect(listed.stdout).toContain("@bea");
      expect(listed.code).toBe(0);
      const wrongOrigin = await runNode("src/cli/main.ts", ["user", "list"], {
        env: { ...env, PORT: String(port + 1) },
      });
      expect(wrongOrigin.code).toBe(1);
      expect(wrongOrigin.stderr).toContain(`set ORIGIN=http://localhost:${port}`);
    },
    PROCESS_TEST_TIMEOUT,
  );
});
