import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/commands.ts";
import { restoreCommand } from "../../src/cli/data-commands.ts";
import type { DatabaseConfig } from "../../src/db/database.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { createScratchPostgres } from "../support/scratch-postgres.ts";
import { WebClient } from "../support/web.ts";

/*
 * `db backup` and `db restore` on the database the suite runs on (PGlite, or PostgreSQL with
 * TEST_DATABASE_URL): a backup restored into an empty database of the same kind is the same
 * instance; what cannot work is refused with a message saying what to do.
 */
describe(`db backup and db restore (${databaseLabel})`, () => {
  let source: TestApp;
  let restored: TestApp | undefined;
  let dir: string;
  let target: { config: DatabaseConfig; drop: () => Promise<void> };
  let file: string;
  let noteIri: string;

  async function run(argv: string[]) {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const code =
      argv[1] === "restore" && argv[3] === "--offline"
        ? await restoreCommand(target.config, argv[2], io).catch((error: Error) => {
            lines.push(error.message);
            return 1;
          })
        : await runCommand(source.app, argv, io);
    return { code, text: lines.join("\n") };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sdp-backup-"));
    file = join(dir, "backup.sql");
    source = await buildTestApp();
    await source.app.members.create({ username: "bea", password: "bea-password-123" });
    noteIri = (
      await source.app.encounters.create("bea", {
        text: "Au marché avec Marie",
        participants: ["Marie"],
        visibility: "public",
      })
    ).iri;
    const serverUrl = process.env.TEST_DATABASE_URL;
    target = serverUrl
      ? await createScratchPostgres(serverUrl, { prefix: "sdp_restore", maxConnections: 5 })
      : { config: { kind: "pglite", dataDir: join(dir, "restored-db") }, drop: async () => {} };
  }, 60_000);

  afterAll(async () => {
    await Promise.all([source?.close(), restored?.close()]);
    await target?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a backup its owner alone may read, and never over an existing file", async () => {
    const first = await run(["db", "backup", file]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.text).toContain("db restore");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await run(["db", "backup", file]);
    expect(again.code).toBe(1);
    expect(again.text).toContain("already exists");
  });

  it("refuses to restore through a running server, or a file that is not a dump", async () => {
    const live = await run(["db", "restore", file]);
    expect(live.code).toBe(1);
    expect(live.text).toContain("stop the server");
    const notADump = join(dir, "notes.sql");
    await writeFile(notADump, "select 1;\n");
    expect((await run(["db", "restore", notADump, "--offline"])).text).toContain(
      "not a dump of a Socialdapres database",
    );
    expect((await run(["db", "restore", join(dir, "missing.sql"), "--offline"])).text).toContain(
      "no such file",
    );
  });

  it("restores into an empty database: the same members, encounters and origin", async () => {
    expect(await run(["db", "restore", file, "--offline"])).toMatchObject({ code: 0 });
    restored = await buildTestApp({
      database: target.config,
      origin: new URL(source.baseUrl),
    });
    await new WebClient(restored.app.http).login("bea", "bea-password-123");
    expect(await restored.app.encounterRepository.findByIri(noteIri)).toBeDefined();
    const actor = await restored.app.http.inject({
      url: "/users/bea",
      headers: { accept: "application/activity+json" },
    });
    const original = await source.app.http.inject({
      url: "/users/bea",
      headers: { accept: "application/activity+json" },
    });
    expect(actor.json().publicKey).toEqual(original.json().publicKey);
  });

  it("refuses to restore into a database that is not empty", async () => {
    const again = await run(["db", "restore", file, "--offline"]);
    expect(again.code).toBe(1);
    expect(again.text).toContain("The database is not empty");
  });

  it.runIf(databaseLabel === "postgres")(
    "db export says it is for the embedded database",
    async () => {
      const exported = await run(["db", "export", join(dir, "export.sql")]);
      expect(exported.code).toBe(1);
      expect(exported.text).toContain("already runs on PostgreSQL");
    },
  );
});
