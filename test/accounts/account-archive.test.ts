import { sql } from "drizzle-orm";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRIVATE_TRACKER_NOTICE } from "../../src/accounts/account-archive.ts";
import type { App } from "../../src/app.ts";
import { FOLLOWING_HEADER } from "../../src/follows/mastodon-csv.ts";
import { solid } from "../media/images.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { noLeakOf, PRIVATE_FIELD_LEAKS, PRIVATE_FIELDS } from "../support/leaks.ts";

/* A member's archive, opened: what each file holds, and the tracker only where it belongs. */
describe(`the account archive (${databaseLabel})`, () => {
  let instance: TestApp;
  let app: App;
  let bea: Record<string, Uint8Array>;
  let carl: Record<string, Uint8Array>;
  const noLeak = noLeakOf(PRIVATE_FIELD_LEAKS);

  beforeAll(async () => {
    instance = await buildTestApp();
    app = instance.app;
    await app.members.create({ username: "bea", password: "bea-password-123" });
    await app.members.create({ username: "carl", password: "carl-password-123" });
    const png = await solid(64, 64).png().toBuffer();
    await app.profiles.update("bea", { displayName: "Béa B." }, { avatar: png });
    const made = await app.encounters.create(
      "bea",
      { text: "Au jardin avec Carl", participants: ["@carl", "Marie"], visibility: "public" },
      png,
    );
    await app.privateFields.setPrivateFields("bea", made.id, { ...PRIVATE_FIELDS });
    await app.cosign.cosign("carl", made.id);
    await app.likes.like("carl", made.iri);
    await app.follows.followIri("carl", app.urls.actor("bea").href);
    // Between two members of one instance not listening, the Accept never travels: accept here.
    await app.database.rows(sql`update follows set state = 'accepted', accepted_at = now()`);
    bea = unzipSync(await app.accountExports.buildArchive("bea"));
    carl = unzipSync(await app.accountExports.buildArchive("carl"));
  });
  afterAll(() => instance?.close());

  const json = (files: Record<string, Uint8Array>, name: string) => {
    const bytes = files[name];
    if (!bytes) throw new Error(`${name} is not in the archive`);
    return JSON.parse(strFromU8(bytes));
  };

  it("holds the profile, the encounters, the photos and the CSVs", () => {
    expect(Object.keys(bea).sort()).toEqual(
      expect.arrayContaining([
        "account.json",
        "encounters.json",
        "private-tracker.json",
        "following_accounts.csv",
        "followers.csv",
        "blocked_accounts.csv",
      ]),
    );
    const account = json(bea, "account.json");
    expect(account.profile).toMatchObject({ username: "bea", displayName: "Béa B." });
    expect(account).not.toHaveProperty("passwordHash");
    expect(JSON.stringify(account)).not.toMatch(/scrypt|password/i);
    expect(bea[account.profile.avatar]).toBeDefined();
    const { encounters } = json(bea, "encounters.json");
    expect(encounters).toHaveLength(1);
    expect(encounters[0]).toMatchObject({ role: "author", text: "Au jardin avec Carl" });
    expect(bea[encounters[0].photo.file]?.length).toBeGreaterThan(0);
    expect(encounters[0].participants).toEqual([
      { name: `@carl@${app.urls.origin.host}`, cosignState: "cosigned" },
      { name: "Marie", cosignState: null },
    ]);
    const host = app.urls.origin.host;
    expect(strFromU8(bea["followers.csv"] as Uint8Array)).toBe(`carl@${host}\n`);
    expect(strFromU8(carl["following_accounts.csv"] as Uint8Array)).toBe(
      `${FOLLOWING_HEADER}\nbea@${host},true,false,\n`,
    );
    expect(strFromU8(bea["blocked_accounts.csv"] as Uint8Array)).toBe("");
  });

  it("gives carl what he co-signed and liked, without bea's photo file", () => {
    const carlData = json(carl, "encounters.json");
    expect(carlData.encounters).toHaveLength(1);
    expect(carlData.encounters[0]).toMatchObject({
      role: "cosigner",
      author: expect.stringMatching(/^bea@/),
    });
    expect(carlData.likes).toHaveLength(1);
    expect(Object.keys(carl).filter((name) => name.startsWith("media/"))).toEqual([]);
  });

  it("keeps the tracker in private-tracker.json, marked private, and nowhere else", () => {
    const tracker = json(bea, "private-tracker.json");
    expect(tracker).toMatchObject({
      private: true,
      notice: PRIVATE_TRACKER_NOTICE,
      username: "bea",
    });
    expect(tracker.encounters[0].private).toMatchObject({
      othersPresent: PRIVATE_FIELDS.othersPresent,
    });
    for (const [name, bytes] of Object.entries(bea)) {
      if (name === "private-tracker.json" || name.startsWith("media/")) continue;
      noLeak(`bea's ${name}`, strFromU8(bytes));
    }
    // carl co-signed bea's encounter: nothing of her tracker is in his archive.
    for (const [name, bytes] of Object.entries(carl)) {
      if (name.startsWith("media/")) continue;
      noLeak(`carl's ${name}`, strFromU8(bytes));
    }
    expect(json(carl, "private-tracker.json").encounters).toEqual([]);
  });
});
