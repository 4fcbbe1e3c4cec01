import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, client, membersWithTokens } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { capturingLogger } from "../support/captured-logs.ts";
import { freshDatabaseConfig } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";

/*
 * PGlite writes its files in the data directory: on a full disk, a write must be refused
 * (507 with Retry-After), never answered 201, and what is stored must stay readable. The disk
 * is a small tmpfs mounted for the test, so this runs where mounting is allowed (root on
 * Linux, as in CI) and on the PGlite run only (PostgreSQL's disk is its server's).
 */

/** Mounts a tmpfs of `megabytes` on a new folder; undefined where mounting is not allowed. */
function mountSmallDisk(megabytes: number): string | undefined {
  if (process.env.TEST_DATABASE_URL || process.platform !== "linux" || process.getuid?.() !== 0) {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "socialdapres-full-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir], {
      stdio: "ignore",
    });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const disk = mountSmallDisk(64);

describe.skipIf(!disk)("PGlite on a full disk refuses writes with 507, and recovers", () => {
  // Read in the hooks and the test only: a skipped describe still runs its body.
  const dir = () => disk as string;
  const filler = () => join(dir(), "filler");
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  const { logger, logs } = capturingLogger("info");

  beforeAll(async () => {
    const fresh = await freshDatabaseConfig();
    if (fresh.config.kind !== "pglite") throw new Error("a PGlite run only");
    t = await buildTestApp({
      dataDir: dir(),
      database: { ...fresh.config, dataDir: join(dir(), "db") },
      // Started, so that the relay replays what met the full disk once it is freed: within a
      // second (the lease), looking every 200 ms.
      listen: true,
      outbox: { leaseMs: 1_000, pollIntervalMs: 200 },
      logger,
    });
    const tokens = await membersWithTokens(t.app, ["bea"]);
    bea = client(t.app, tokens.bea as string);
  });
  afterAll(async () => {
    await t?.close();
    execFileSync("umount", [dir()]);
    rmSync(dir(), { recursive: true, force: true });
  });

  const post = (i: number) =>
    bea({
      method: "POST",
      url: `${API}/encounters`,
      payload: {
        text: `Rencontre ${i} au marché : ${"des mots ".repeat(28)}`.slice(0, 280),
        participants: ["Marie"],
        keywords: ["marche"],
      },
    });

  it("answers 507 once the disk is full, keeps what it stored, and writes again once space is freed", async () => {
    // Leave the database a few pages of room.
    const { bavail, bsize } = statfsSync(dir());
    writeFileSync(filler(), Buffer.alloc(Math.max(0, bavail * bsize - 256 * 1024)));

    const stored: string[] = [];
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 2_000 && !refused; i++) {
      const response = await post(i);
      if (response.statusCode === 201) stored.push(response.json().id);
      else refused = response;
    }
    expect(refused, "a write was refused before 2,000 encounters").toBeDefined();
    expect(refused?.statusCode, refused?.body).toBe(507);
    expect(refused?.headers["retry-after"]).toBe("60");
    expect(refused?.json().error).toMatch(/disk is full: nothing of this request was stored/);

    // Every encounter answered 201 is there and readable; nothing refused was half-stored.
    const count = async (table: "encounters" | "outbox_events") =>
      (
        await t.app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from ${sql.identifier(table)}`,
        )
      )[0]?.n;
    expect(await count("encounters")).toBe(stored.length);
    const read = await bea({ method: "GET", url: `${API}/encounters/${stored.at(-1)}` });
    expect(read.statusCode).toBe(200);

    // Space freed: writes succeed again without a restart, and every stored encounter's
    // event (some met the full disk when handed to the queue) is dispatched.
    rmSync(filler());
    const again = await post(-1);
    expect(again.statusCode, again.body).toBe(201);
    const started = Date.now();
    await eventually(async () => (await count("outbox_events")) === 0, {
      what: "every encounter's event dispatched",
      timeoutMs: 60_000,
    });
    console.info(
      `[disk-full] ${stored.length} stored; events dispatched ${Date.now() - started} ms after space was freed`,
    );
    // Dispatched, not dropped: the full disk never counted against an event.
    expect(logs.filter((line) => line.includes("dropping a domain event"))).toEqual([]);
    expect(logs.some((line) => line.includes("the database's disk is full"))).toBe(true);
  }, 120_000);
});
