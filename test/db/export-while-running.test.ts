import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";
import { runNode } from "../support/run-node.ts";
import { serverProcessEnv, startServerProcess } from "../support/server-process.ts";

/*
 * The commands as an admin types them, on the embedded database of a real server process:
 * `db export` goes through the control socket and the server keeps answering while pg_dump
 * runs; `db restore` is refused while it runs (test/db/backup-restore.test.ts restores).
 * PGlite only: the PostgreSQL run of the suite has nothing more to learn here.
 */
describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))("db export on a running server", () => {
  const started: ChildProcess[] = [];
  let dir: string;
  let port: number;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sdp-export-process-"));
    port = await freePort();
    env = serverProcessEnv(join(dir, "data"), port);
  });
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("exports through the running server, which keeps answering; refuses to restore into it", async () => {
    const server = startServerProcess(env, started);
    await server.printed("listening on");
    const cli = (args: string[], input?: string) =>
      runNode("src/cli/main.ts", args, { env, input, timeoutMs: 60_000 });
    expect((await cli(["user", "create", "bea"], "a long passphrase\n")).code).toBe(0);

    const file = join(dir, "export.sql");
    const exporting = cli(["db", "export", file]);
    // Meanwhile the server answers: pg_dump runs in a worker thread on a copy.
    let slowest = 0;
    let answered = 0;
    for (let settled = false; !settled; ) {
      const startedAt = Date.now();
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      slowest = Math.max(slowest, Date.now() - startedAt);
      answered++;
      settled = await Promise.race([
        exporting.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
      ]);
    }
    const exported = await exporting;
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(`Wrote ${file}`);
    expect(answered).toBeGreaterThan(3);
    expect(slowest).toBeLessThan(2_000);
    const script = await readFile(file, "utf8");
    expect(script).toContain("CREATE TABLE public.members");
    expect(script).toMatch(/INSERT INTO public\.members VALUES \([^)]*'bea'/);

    const refused = await cli(["db", "restore", file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("stop the server");

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }, 180_000);
});
