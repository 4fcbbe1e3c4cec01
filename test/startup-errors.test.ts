import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./support/free-port.ts";
import { runNode } from "./support/run-node.ts";

/**
 * What a newcomer sees when the database or DATA_DIR is wrong: one line that says what is
 * wrong and what to do, from the server and from the CLI alike, and no stack trace.
 */
describe("startup errors, from both entry points", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "socialdapres-startup-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The server and `cli user list`, run at once with only these variables. */
  async function bothEntryPoints(env: Record<string, string>) {
    const port = await freePort();
    const runs = await Promise.all([
      runNode("src/main.js", [], {
        env: { PATH: process.env.PATH, DATA_DIR: dir, PORT: String(port), ...env },
        timeoutMs: 60_000,
      }),
      runNode("src/cli/main.ts", ["user", "list"], {
        env: { PATH: process.env.PATH, DATA_DIR: dir, ...env },
        timeoutMs: 60_000,
      }),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr.trimEnd().split("\n"), run.stderr).toHaveLength(1);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(run.stderr).not.toContain("Failed query");
    }
    return runs.map((run) => run.stderr.trim());
  }

  it("a PostgreSQL that refuses connections", async () => {
    const closed = await freePort();
    const lines = await bothEntryPoints({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/socialdapres`,
    });
    for (const line of lines) {
      expect(line).toBe(
        `Cannot connect to PostgreSQL at 127.0.0.1:${closed}: connection refused. Is it running? Check DATABASE_URL.`,
      );
    }
  });

  it("a host that does not resolve", async () => {
    const lines = await bothEntryPoints({
      DATABASE_URL: "postgres://postgres@db.socialdapres.invalid:5432/socialdapres",
    });
    for (const line of lines) {
      // .invalid never resolves; without any DNS at all it is "could not be resolved".
      expect(line).toMatch(
        /^Cannot connect to PostgreSQL: host "db\.socialdapres\.invalid" (does not resolve|could not be resolved)/,
      );
      expect(line).toContain("DATABASE_URL");
    }
  });

  it("a server that never answers: gives up after connect_timeout instead of hanging", async () => {
    // Accepts connections and never says a word, like a host behind a firewall that drops packets.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const lines = await bothEntryPoints({
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/socialdapres?connect_timeout=1`,
      });
      for (const line of lines) {
        expect(line).toBe(
          `Cannot connect to PostgreSQL at 127.0.0.1:${port}: no answer within 1 s. Is the host right, and does no firewall stand in the way? Check DATABASE_URL.`,
        );
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    "a database that does not exist (on the TEST_DATABASE_URL server)",
    async () => {
      const url = new URL(process.env.TEST_DATABASE_URL as string);
      url.pathname = "/socialdapres_missing_database";
      const lines = await bothEntryPoints({ DATABASE_URL: url.href });
      const user = url.username ? ` -U ${url.username}` : "";
      for (const line of lines) {
        expect(line).toBe(
          `PostgreSQL at ${url.hostname}:${url.port || 5432}: database "socialdapres_missing_database" does not exist: create it with \`createdb -h ${url.hostname} -p ${url.port || 5432}${user} socialdapres_missing_database\` or fix DATABASE_URL.`,
        );
      }
    },
  );

  it("DATA_DIR inside a file", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "not a folder");
    const lines = await bothEntryPoints({ DATA_DIR: join(file, "data") });
    for (const line of lines) {
      expect(line).toBe(
        `Configuration error: DATA_DIR: ${file} is a file, not a folder: set DATA_DIR to a folder (it is created if missing).`,
      );
    }
  });
});
