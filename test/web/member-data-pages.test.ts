import { access } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/* /settings/export, /settings/import and /settings/move, as a member uses them. */
describe(`the pages of a member's data (${databaseLabel})`, () => {
  let instance: TestApp;
  let app: App;
  let bea: WebClient;
  let carl: WebClient;

  beforeAll(async () => {
    instance = await buildTestApp();
    app = instance.app;
    await app.members.create({ username: "bea", password: "bea-password-123" });
    await app.members.create({ username: "carl", password: "carl-password-123" });
    await app.encounters.create("bea", {
      text: "Au marché",
      participants: ["Marie"],
      visibility: "public",
    });
    bea = await new WebClient(app.http).login("bea", "bea-password-123");
    carl = await new WebClient(app.http).login("carl", "carl-password-123");
  });
  afterAll(() => instance?.close());

  it("builds the archive in the background, for its member alone, once a day", async () => {
    expect((await bea.get("/settings")).body).toContain('href="/settings/export"');
    const page = await bea.get("/settings/export");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Exporter mes données");
    expect(page.body).not.toMatch(/\bvous\b/i);

    const asked = await bea.post("/settings/export");
    expect(asked.statusCode).toBe(303);
    // The request only wrote a row: nothing built yet.
    const pending = await bea.get("/settings/export?asked=1");
    expect(pending.body).toContain("en préparation");
    expect(pending.body).not.toContain("/download");

    await app.memberDataWorker.tick();
    const ready = await bea.get("/settings/export");
    const link = /href="(\/settings\/export\/[0-9a-f-]+\/download)"/.exec(ready.body)?.[1];
    expect(link).toBeDefined();
    const download = await bea.get(link as string);
    expect(download.statusCode).toBe(200);
    expect(download.headers["content-type"]).toBe("application/zip");
    expect(download.headers["content-disposition"]).toMatch(/bea-export-\d{4}-\d\d-\d\d\.zip/);
    const files = unzipSync(new Uint8Array(download.rawPayload));
    expect(strFromU8(files["encounters.json"] as Uint8Array)).toContain("Au marché");

    // Someone else, a visitor, a made-up id: not found / log in.
    expect((await carl.get(link as string)).statusCode).toBe(404);
    expect((await new WebClient(app.http).get(link as string)).statusCode).toBe(302);
    expect((await bea.get("/settings/export/not-an-id/download")).statusCode).toBe(404);

    // A second archive the same day is refused, saying why.
    const again = await bea.post("/settings/export");
    expect(again.statusCode).toBe(429);
    expect(again.body).toContain("Une archive par jour");
  });

  it("imports a following list: bad lines by number, the follows left to the worker", async () => {
    const csv = [
      "Account address,Show boosts,Notify on new posts,Languages",
      "dora@unreachable.invalid,true,false,",
      "not an address,true,false,",
      "eve@unreachable.invalid,true,false,",
    ].join("\n");
    const sent = await bea.postMultipart(
      "/settings/import",
      {},
      {
        file: { bytes: Buffer.from(csv), type: "text/csv", name: "following_accounts.csv" },
      },
    );
    expect(sent.statusCode).toBe(200);
    expect(sent.body).toContain("2 comptes à suivre ajoutés");
    expect(sent.body).toMatch(/ligne 3 : &quot;not an address&quot;/);
    expect(sent.body).toContain('<span data-count="pending">2</span>');

    await app.memberDataWorker.tick();
    const after = await bea.get("/settings/import");
    expect(after.body).toContain('<span data-count="pending">0</span>');
    // Nobody answers at those addresses: each is reported, none is lost.
    expect(after.body).toContain('<span data-count="failed">2</span>');
    expect(after.body).toContain("dora@unreachable.invalid");
  });

  it("refuses what is not a following list with a clear 4xx, never a 500", async () => {
    const big = await bea.postMultipart(
      "/settings/import",
      {},
      {
        file: { bytes: Buffer.alloc(1024 * 1024 + 10, "a"), type: "text/csv", name: "big.csv" },
      },
    );
    expect(big.statusCode).toBe(413);
    expect(big.body).toContain("dépasse 1 Mo");
    const binary = await bea.postMultipart(
      "/settings/import",
      {},
      {
        file: { bytes: Buffer.from([0, 1, 2, 255, 254]), name: "x.bin" },
      },
    );
    expect(binary.statusCode).toBe(422);
    const none = await bea.postMultipart("/settings/import", {}, {});
    expect(none.statusCode).toBe(422);
    const forged = await bea.postMultipart(
      "/settings/import",
      { _csrf: "forged" },
      {
        file: { bytes: Buffer.from("x@y.example\n"), name: "f.csv" },
      },
    );
    expect(forged.statusCode).toBe(403);
  });

  it("moves: aliases and target are looked up, and a bad one is a 422 next to its field", async () => {
    const page = await carl.get("/settings/move");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="aliases"');
    expect(page.body).toContain(app.urls.actor("carl").href);
    const badTarget = await carl.post("/settings/move", { target: "nobody@unreachable.invalid" });
    expect(badTarget.statusCode).toBe(422);
    expect(badTarget.body).toContain('aria-invalid="true"');
    const tooMany = await carl.post("/settings/move/aliases", {
      aliases: ["a", "b", "c", "d", "e", "f"].map((n) => `${n}@x.invalid`).join("\n"),
    });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.body).toContain("5 comptes au plus");
    expect((await app.accountMoves.status("carl")).movedTo).toBeNull();
  });

  it("erases a member's archives, files included, with their account", async () => {
    await app.accountExports.request("carl");
    await app.memberDataWorker.tick();
    const [row] = await app.accountExports.list("carl");
    expect(row?.state).toBe("ready");
    const file = join(app.config.dataDir, "exports", `${row?.fileKey}.zip`);
    await access(file);
    await app.accountDeletion.deleteAccount("carl");
    await expect(access(file)).rejects.toThrow(/ENOENT/);
    const [left] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from account_exports`,
    );
    expect(left?.n).toBe(1); // bea's alone
  });

  it("removes an archive once it expired: the row, the file, the link", async () => {
    const [row] = await app.accountExports.list("bea");
    const file = join(app.config.dataDir, "exports", `${row?.fileKey}.zip`);
    await access(file);
    await app.database.rows(
      sql`update account_exports set expires_at = now() - interval '1 minute' where id = ${row?.id}`,
    );
    expect((await bea.get(`/settings/export/${row?.id}/download`)).statusCode).toBe(404);
    await app.memberDataWorker.tick();
    await expect(access(file)).rejects.toThrow(/ENOENT/);
    expect(await app.accountExports.list("bea")).toEqual([]);
  });
});
