import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileJsonSchema } from "../../src/api/profile-routes.ts";
import { jpegWithGps, noise, solid } from "../media/images.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { API, client, membersWithTokens, multipart } from "./helpers.ts";

describe(`own API: the member's profile (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;

  /** The profile events recorded so far (the outbox keeps none once dispatched: count them). */
  const updates: string[] = [];

  const profileFiles = async () =>
    (await readdir(join(t.app.config.dataDir, "media", "profiles")).catch(() => [])).sort();

  const patch = (payload: Record<string, unknown>) =>
    bea({ method: "PATCH", url: `${API}/profile`, payload });

  async function patchForm(form: FormData) {
    return bea({ method: "PATCH", url: `${API}/profile`, ...(await multipart(form)) });
  }

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea"]);
    bea = client(t.app, tokens.bea as string);
    t.app.events.subscribe((event) => {
      if (event.type === "profile.updated") updates.push(event.activityIri);
    });
  });
  afterAll(() => t?.close());

  it("GET answers the profile as documented, empty at first", async () => {
    const response = await bea({ method: "GET", url: `${API}/profile` });
    expect(response.statusCode).toBe(200);
    expect(profileJsonSchema.parse(response.json())).toEqual({
      username: "bea",
      displayName: "",
      bio: "",
      fields: [],
      avatarUrl: null,
      headerUrl: null,
      manuallyApprovesFollowers: false,
      discoverable: true,
      actor: `${t.baseUrl}/users/bea`,
      profileUrl: `${t.baseUrl}/@bea`,
      updatedAt: null,
    });
    const anonymous = await t.app.http.inject({ method: "GET", url: `${API}/profile` });
    expect(anonymous.statusCode).toBe(401);
  });

  it("PATCH (JSON) changes only what is sent, keeps line breaks, and records one Update", async () => {
    const response = await patch({
      displayName: "  Béa  Martin ",
      bio: "Rencontres et liens faibles.\r\nLyon\r\n\r\nhttps://bea.example",
      fields: [
        { name: "Ville", value: "Lyon" },
        { name: "", value: "" }, // a blank row of a form: dropped
        { name: "Site", value: " https://bea.example/ " },
      ],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      displayName: "Béa Martin",
      bio: "Rencontres et liens faibles.\nLyon\n\nhttps://bea.example",
      fields: [
        { name: "Ville", value: "Lyon" },
        { name: "Site", value: "https://bea.example/" },
      ],
    });
    expect(response.json().updatedAt).not.toBeNull();
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatch(new RegExp(`^${t.baseUrl}/activities/update/[0-9a-f-]{36}$`));

    // Only the bio: the rest stays.
    const bioOnly = await patch({ bio: "Autre chose" });
    expect(bioOnly.json()).toMatchObject({ displayName: "Béa Martin", bio: "Autre chose" });
    expect(bioOnly.json().fields).toHaveLength(2);
    // The member's actor row follows (pages and other rows read it).
    const actor = await t.app.actors.findByMemberId(
      (await t.app.members.findByUsername("bea"))?.id as string,
    );
    expect(actor).toMatchObject({ name: "Béa Martin", summary: "Autre chose" });
    expect(updates).toHaveLength(2);
  });

  it("sends nothing when nothing changed", async () => {
    const before = updates.length;
    const response = await patch({ bio: "Autre chose", displayName: "Béa Martin" });
    expect(response.statusCode).toBe(200);
    expect(updates).toHaveLength(before);
  });

  describe("refuses, with a 4xx that says why, and changes nothing", () => {
    let before: unknown;
    beforeAll(async () => {
      before = (await bea({ method: "GET", url: `${API}/profile` })).json();
    });
    const unchanged = async () => {
      expect((await bea({ method: "GET", url: `${API}/profile` })).json()).toEqual(before);
    };

    it("a bio over 500 characters", async () => {
      const response = await patch({ bio: "é".repeat(501) });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toBe("bio must be at most 500 characters.");
      await unchanged();
    });

    it("5 fields", async () => {
      const fields = Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, value: "v" }));
      const response = await patch({ fields });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toBe("fields must be at most 4.");
      const form = new FormData();
      for (let i = 0; i < 5; i++) {
        form.append(`fields[${i}][name]`, `n${i}`);
        form.append(`fields[${i}][value]`, "v");
      }
      expect((await patchForm(form)).statusCode).toBe(422);
      await unchanged();
    });

    it("a field too long, a value without a name, a field of the wrong shape", async () => {
      const cases: Array<[unknown, RegExp]> = [
        [[{ name: "n", value: "v".repeat(256) }], /fields\.0\.value must be at most 255/],
        [[{ name: "n".repeat(256), value: "v" }], /fields\.0\.name must be at most 255/],
        [[{ name: "", value: "orphan" }], /each field needs a name/],
        [[{ name: "n", value: "v", verified: true }], /Unrecognized key/],
        ["Ville=Lyon", /fields must be a list of \{name, value\}/],
      ];
      for (const [fields, message] of cases) {
        const response = await patch({ fields });
        expect(response.statusCode, JSON.stringify(fields)).toBe(422);
        expect(response.json().error).toMatch(message);
      }
      await unchanged();
    });

    it("a display name too long, an unknown field, a bio that is not text", async () => {
      expect((await patch({ displayName: "x".repeat(101) })).json().error).toBe(
        "displayName must be at most 100 characters.",
      );
      const unknown = await patch({ note: "Mastodon's name for the bio" });
      expect(unknown.statusCode).toBe(422);
      expect(unknown.json().error).toMatch(/note/);
      expect((await patch({ bio: 42 })).json().error).toBe("bio must be text.");
      await unchanged();
    });

    it("an avatar that is not an image, a damaged one, an unexpected file, and remove with a new one", async () => {
      const filesBefore = await profileFiles();
      const text = new FormData();
      text.append("avatar", new Blob(["I am not a picture"], { type: "image/png" }), "a.png");
      const notImage = await patchForm(text);
      expect(notImage.statusCode).toBe(415);
      expect(notImage.json().error).toMatch(/not a photo in a format we accept/);

      const jpeg = await noise(300, 300).jpeg().toBuffer();
      const cut = new FormData();
      cut.append("avatar", new Blob([jpeg.subarray(0, jpeg.length / 2)]), "cut.jpg");
      expect((await patchForm(cut)).statusCode).toBe(422);

      const other = new FormData();
      other.append("photo", new Blob([jpeg]), "x.jpg");
      const unexpected = await patchForm(other);
      expect(unexpected.statusCode).toBe(422);
      expect(unexpected.json().error).toMatch(/"avatar" and "header"/);

      const both = new FormData();
      both.append("removeAvatar", "true");
      both.append("avatar", new Blob([jpeg]), "x.jpg");
      expect((await patchForm(both)).statusCode).toBe(422);

      // A valid header beside an invalid avatar: neither is kept.
      const mixed = new FormData();
      mixed.append("header", new Blob([await solid(900, 300).png().toBuffer()]), "h.png");
      mixed.append("avatar", new Blob(["nope"]), "a.png");
      expect((await patchForm(mixed)).statusCode).toBe(415);
      expect(await profileFiles()).toEqual(filesBefore);
      await unchanged();
    });

    it("a body that is neither JSON nor multipart", async () => {
      const response = await bea({
        method: "PATCH",
        url: `${API}/profile`,
        headers: { "content-type": "text/plain" },
        payload: "bio=hello",
      });
      expect(response.statusCode).toBe(415);
      await unchanged();
    });
  });

  it("counts characters as a person does: 500 emoji with skin tones are a full bio", async () => {
    const response = await patch({ bio: "👍🏽".repeat(500) });
    expect(response.statusCode, response.body).toBe(200);
    expect((await patch({ bio: `${"👍🏽".repeat(500)}!` })).statusCode).toBe(422);
  });

  it("multipart: the avatar and header go through the photo pipeline, cropped, without metadata, served from /media", async () => {
    const form = new FormData();
    form.append("displayName", "Béa");
    form.append("fields_attributes[0][name]", "Ville");
    form.append("fields_attributes[0][value]", "Lyon");
    form.append("avatar", new Blob([await jpegWithGps()], { type: "image/jpeg" }), "me.jpg");
    form.append("header", new Blob([await solid(3000, 2000, "#248").png().toBuffer()]), "h.png");
    const response = await patchForm(form);
    expect(response.statusCode, response.body).toBe(200);
    const body = profileJsonSchema.parse(response.json());
    expect(body).toMatchObject({ displayName: "Béa", fields: [{ name: "Ville", value: "Lyon" }] });

    for (const [url, width, height] of [
      [body.avatarUrl, 400, 400],
      [body.headerUrl, 1500, 500],
    ] as const) {
      expect(url).toMatch(new RegExp(`^${t.baseUrl}/media/profiles/[0-9a-f-]{36}\\.\\w+\\.webp$`));
      const served = await t.app.http.inject({
        method: "GET",
        url: new URL(url as string).pathname,
      });
      expect(served.statusCode).toBe(200);
      expect(served.headers["content-type"]).toBe("image/webp");
      const metadata = await sharp(served.rawPayload).metadata();
      expect(metadata).toMatchObject({ format: "webp", width, height });
      expect(metadata.exif).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
      expect(served.rawPayload.includes("RUE-DES-LILAS-12")).toBe(false);
    }
    expect(await profileFiles()).toHaveLength(2);

    // A new avatar replaces the old file; removing the header deletes it.
    const again = new FormData();
    again.append("avatar", new Blob([await solid(100, 60).png().toBuffer()]), "new.png");
    again.append("removeHeader", "true");
    const replaced = profileJsonSchema.parse((await patchForm(again)).json());
    expect(replaced.avatarUrl).not.toBe(body.avatarUrl);
    expect(replaced.headerUrl).toBeNull();
    const files = await profileFiles();
    expect(files).toHaveLength(1);
    expect(replaced.avatarUrl?.endsWith(files[0] as string)).toBe(true);
    const old = await t.app.http.inject({
      method: "GET",
      url: new URL(body.avatarUrl as string).pathname,
    });
    expect(old.statusCode).toBe(404);

    const removed = await patch({ removeAvatar: true });
    expect(removed.json()).toMatchObject({ avatarUrl: null, headerUrl: null });
    expect(await profileFiles()).toEqual([]);
    const [member] = await t.app.database.rows<{ avatar_media_key: string | null }>(
      sql`select avatar_media_key from members where username = 'bea'`,
    );
    expect(member?.avatar_media_key).toBeNull();
  });

  it("a form's empty bio empties it; an empty file part is no image", async () => {
    const form = new FormData();
    form.append("bio", "");
    form.append("avatar", new Blob([]), "");
    const response = await patchForm(form);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ bio: "", avatarUrl: null });
  });

  it("is in the OpenAPI document", async () => {
    const document = (
      await t.app.http.inject({ method: "GET", url: "/api/docs/openapi.json" })
    ).json();
    const path = document.paths[`${API}/profile`];
    expect(Object.keys(path).sort()).toEqual(["get", "patch"]);
    expect(path.patch.requestBody.content).toHaveProperty("multipart/form-data");
    expect(document.components.schemas.ProfilePatch).toMatchObject({
      additionalProperties: false,
      properties: { fields: { maxItems: 4 }, removeAvatar: { type: "boolean" } },
    });
    expect(document.components.schemas.Profile.properties).toHaveProperty("headerUrl");
  });
});
