import { sql } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { WebClient } from "../support/web.ts";

/**
 * Posting from the pages on one instance: the compose form (participants checked, photo and
 * its description, private fields), errors next to their fields with everything kept, the
 * handle look-up, editing and deleting one's own encounters, replying, and CSRF.
 */
describe(`web: compose, edit, delete, reply (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: WebClient;
  let carl: WebClient;
  let jpeg: Buffer;

  beforeAll(async () => {
    t = await buildTestApp();
    for (const username of ["bea", "carl"]) {
      await t.app.members.create({ username, password: `${username}-password-123` });
    }
    await t.app.profiles.update("carl", { displayName: "Carl D." });
    bea = await new WebClient(t.app.http).login("bea", "bea-password-123");
    carl = await new WebClient(t.app.http).login("carl", "carl-password-123");
    jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#48c" } })
      .jpeg()
      .toBuffer();
  });
  afterAll(() => t?.close());

  const idOf = (location: unknown) => /\/@bea\/([0-9a-f-]{36})$/.exec(String(location))?.[1] ?? "";
  const uploads = () =>
    t.app.database.rows<{ id: string; attached: boolean }>(
      sql`select id, attached_at is not null as attached from media_uploads order by created_at`,
    );

  it("asks a visitor to log in; shows a member the form with today's date and the private fieldset", async () => {
    const visitor = await new WebClient(t.app.http).get("/compose");
    expect(visitor.statusCode).toBe(302);
    expect(visitor.headers.location).toBe("/login?next=%2Fcompose");

    const page = await bea.get("/compose");
    expect(page.statusCode).toBe(200);
    expect(page.headers["cache-control"]).toBe("private, no-store");
    const html = page.body;
    expect(html).toContain('enctype="multipart/form-data"');
    expect(html).toContain('name="_csrf"');
    expect(html.match(/name="participants"/g)).toHaveLength(3);
    expect(html).toContain('data-counter="280"');
    expect(html).toMatch(/name="occurredOn" value="\d{4}-\d{2}-\d{2}"/);
    expect(html).toContain('<fieldset class="private">');
    expect(html).toContain(
      "Ces informations restent sur cette instance : elles ne sont jamais publiées ni envoyées",
    );
    for (const v of ["public", "unlisted", "followers", "participants", "private"]) {
      expect(html).toContain(`name="visibility" value="${v}"`);
    }
    // No inline script or style: the CSP forbids them.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|\sstyle="|\son\w+="/);
  });

  it("publishes an encounter naming a member and a plain name, with keywords, details and private fields", async () => {
    const response = await bea.postMultipart("/compose", {
      participants: ["@carl", "Marie", ""],
      text: "Café au marché avec Carl et Marie",
      keywords: "#Marché voisinage",
      emotion: "la joie",
      howTheyAre: "Ils vont bien.",
      visibility: "public",
      satisfying: "yes",
      othersPresent: "2",
      durationMinutes: "45",
      setting: "outdoors",
      circle: ["close", "weak_tie", ""],
    });
    expect(response.statusCode, response.body).toBe(303);
    const id = idOf(response.headers.location);
    expect(id).not.toBe("");
    const view = await t.app.encounterRepository.findById(id);
    expect(view).toMatchObject({
      text: "Café au marché avec Carl et Marie",
      keywords: ["Marché", "voisinage"],
      visibility: "public",
      details: { emotion: "la joie", howTheyAre: "Ils vont bien." },
    });
    expect(view?.participants.map((p) => p.actor?.username ?? p.plainName)).toEqual([
      "carl",
      "Marie",
    ]);
    const priv = await t.app.privateFields.getPrivateFields("bea", id);
    expect(priv).toMatchObject({
      satisfying: true,
      othersPresent: 2,
      durationMinutes: 45,
      setting: "outdoors",
      distance: null,
    });
    expect(priv.participants.map((p) => p.circle)).toEqual(["close", "weak_tie"]);
    // Carl is told, as when posting through the API.
    const told = await t.app.notifications.list("carl", { limit: 10 });
    expect(told.some((n) => n.encounter?.id === id)).toBe(true);
    // Its page, for its author: the links to edit and delete it.
    const page = await bea.get(`/@bea/${id}`);
    expect(page.body).toContain(`href="/@bea/${id}/edit"`);
    expect(page.body).toContain(`href="/@bea/${id}/delete"`);
  });

  it("a text too long: 422, the error next to the field, everything typed kept", async () => {
    const long = "é".repeat(281);
    const response = await bea.postMultipart("/compose", {
      participants: ["Marie", "Paul"],
      text: long,
      keywords: "parc",
      learned: "à attendre",
      durationMinutes: "30",
      visibility: "unlisted",
    });
    expect(response.statusCode).toBe(422);
    const html = response.body;
    expect(html).toContain('role="alert"');
    expect(html).toMatch(
      /id="f-text"[^>]*aria-describedby="f-text-hint f-text-error"[^>]*aria-invalid="true"/,
    );
    expect(html).toContain('<p class="field-error" id="f-text-error">');
    expect(html).toContain(`>${long}</textarea>`);
    expect(html).toContain('value="Marie"');
    expect(html).toContain('value="Paul"');
    expect(html).toContain('value="à attendre"');
    expect(html).toContain('id="f-durationMinutes" name="durationMinutes" value="30"');
    expect(html).toContain('value="unlisted" checked');
    // 280 characters as a person counts them (an emoji with its modifiers is one) pass.
    const ok = await bea.postMultipart("/compose", {
      participants: ["Marie"],
      text: "👍🏽".repeat(280),
    });
    expect(ok.statusCode, ok.body.slice(0, 500)).toBe(303);
  });

  it("names an unknown member or oneself: 422 next to that row", async () => {
    const response = await bea.postMultipart("/compose", {
      participants: ["Marie", "@nobody", "@bea"],
      text: "Un moment",
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('<p class="field-error" id="f-participant-1-error">');
    expect(response.body).toContain('<p class="field-error" id="f-participant-2-error">');
    expect(response.body).not.toContain('id="f-participant-0-error"');
    const nobody = await bea.postMultipart("/compose", { participants: ["", ""], text: "Seul" });
    expect(nobody.statusCode).toBe(422);
    expect(nobody.body).toContain('id="f-participants-error"');
  });

  it("a photo without its description: 422, kept as a pending upload; sent again with one, it is attached", async () => {
    const before = (await uploads()).length;
    const refused = await bea.postMultipart(
      "/compose",
      { participants: ["Marie"], text: "Pique-nique" },
      { photo: { bytes: jpeg, type: "image/jpeg", name: "picnic.jpg" } },
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('<p class="field-error" id="f-photoAlt-error">');
    expect(refused.body).toContain('class="compose-thumbnail"');
    const uploadId = /name="upload" value="([0-9a-f-]{36})"/.exec(refused.body)?.[1] as string;
    expect(uploadId).toBeDefined();
    expect(await uploads()).toHaveLength(before + 1);

    // Sent again with the description, without the file: the upload becomes the photo.
    const posted = await bea.postMultipart(
      "/compose",
      {
        participants: ["Marie"],
        text: "Pique-nique",
        photoAlt: "Une nappe à carreaux",
        upload: uploadId,
      },
      { photo: { bytes: Buffer.alloc(0) } },
    );
    expect(posted.statusCode, posted.body.slice(0, 400)).toBe(303);
    const view = await t.app.encounterRepository.findById(idOf(posted.headers.location));
    expect(view?.photo).toMatchObject({
      alt: "Une nappe à carreaux",
      mediaType: "image/webp",
      width: 640,
    });
    expect(await uploads()).toHaveLength(before + 1);
    expect((await uploads()).find((u) => u.id === uploadId)?.attached).toBe(true);
    // Taken once: the same upload cannot be sent again.
    const again = await bea.postMultipart("/compose", {
      participants: ["Marie"],
      text: "Encore",
      photoAlt: "x",
      upload: uploadId,
    });
    expect(again.statusCode).toBe(422);
    expect(again.body).toContain('id="f-photo-error"');
    // Someone else cannot use it.
    const stolen = await carl.postMultipart("/compose", {
      participants: ["Marie"],
      text: "Volé",
      photoAlt: "x",
      upload: uploadId,
    });
    expect(stolen.statusCode).toBe(422);
  });

  it("a photo with its description is attached at once; not a picture: 422 next to the photo", async () => {
    const posted = await bea.postMultipart(
      "/compose",
      { participants: ["Marie"], text: "Au lac", photoAlt: "Le lac au soleil" },
      { photo: { bytes: jpeg, type: "image/jpeg", name: "lac.jpg" } },
    );
    expect(posted.statusCode).toBe(303);
    const view = await t.app.encounterRepository.findById(idOf(posted.headers.location));
    expect(view?.photo?.alt).toBe("Le lac au soleil");
    const junk = await bea.postMultipart(
      "/compose",
      { participants: ["Marie"], text: "Au lac", photoAlt: "x" },
      { photo: { bytes: Buffer.from("not a picture"), type: "image/jpeg", name: "x.jpg" } },
    );
    expect(junk.statusCode).toBe(422);
    expect(junk.body).toContain('id="f-photo-error"');
  });

  it("the member may take a kept photo away, and remove or replace an encounter's photo when editing", async () => {
    const refused = await bea.postMultipart(
      "/compose",
      { participants: ["Marie"], text: "" },
      { photo: { bytes: jpeg, type: "image/jpeg", name: "a.jpg" } },
    );
    const uploadId = /name="upload" value="([0-9a-f-]{36})"/.exec(refused.body)?.[1] as string;
    const posted = await bea.postMultipart("/compose", {
      participants: ["Marie"],
      text: "Sans photo finalement",
      upload: uploadId,
      removePhoto: "on",
    });
    expect(posted.statusCode).toBe(303);
    const id = idOf(posted.headers.location);
    expect((await t.app.encounterRepository.findById(id))?.photo).toBeNull();

    // Editing: a new photo (described), then its removal.
    const withPhoto = await bea.postMultipart(
      `/@bea/${id}/edit`,
      { participants: ["Marie"], text: "Avec photo", photoAlt: "Un banc" },
      { photo: { bytes: jpeg, type: "image/jpeg", name: "b.jpg" } },
    );
    expect(withPhoto.statusCode, withPhoto.body.slice(0, 300)).toBe(303);
    expect((await t.app.encounterRepository.findById(id))?.photo?.alt).toBe("Un banc");
    const form = await bea.get(`/@bea/${id}/edit`);
    expect(form.body).toContain('class="compose-thumbnail"');
    expect(form.body).toContain(">Un banc</textarea>");
    const removed = await bea.postMultipart(`/@bea/${id}/edit`, {
      participants: ["Marie"],
      text: "Avec photo",
      removePhoto: "on",
    });
    expect(removed.statusCode).toBe(303);
    expect((await t.app.encounterRepository.findById(id))?.photo).toBeNull();
  });

  it("looks handles up for a logged-in member: found, not found, bad handle, not logged in", async () => {
    const found = await bea.get("/compose/lookup?handle=%40carl", { accept: "application/json" });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ found: true, handle: "@carl" });
    const bare = await bea.get("/compose/lookup?handle=carl", { accept: "application/json" });
    expect(bare.json()).toMatchObject({ found: true, handle: "@carl" });
    const missing = await bea.get("/compose/lookup?handle=%40nobody", {
      accept: "application/json",
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ found: false });
    for (const bad of ["", "two%20words", "%40a%40b%40c"]) {
      const response = await bea.get(`/compose/lookup?handle=${bad}`, {
        accept: "application/json",
      });
      expect(response.statusCode, bad).toBe(400);
      expect(response.json().error).toContain("@name@server");
    }
    const visitor = await new WebClient(t.app.http).get("/compose/lookup?handle=%40carl", {
      accept: "application/json",
    });
    expect(visitor.statusCode).toBe(401);
  });

  it("limits look-ups to 30 a minute per member (429 with Retry-After)", async () => {
    const dana = await (async () => {
      await t.app.members.create({ username: "dana", password: "dana-password-123" });
      return new WebClient(t.app.http).login("dana", "dana-password-123");
    })();
    const look = () => dana.get("/compose/lookup?handle=%40carl", { accept: "application/json" });
    for (let i = 0; i < 30; i++) expect((await look()).statusCode).toBe(200);
    const refused = await look();
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    // Another member is not held back by dana's look-ups.
    expect(
      (await bea.get("/compose/lookup?handle=%40carl", { accept: "application/json" })).statusCode,
    ).toBe(200);
  });

  it("a body that cannot be read is a 4xx page, never a 500", async () => {
    const token = await bea.csrfToken();
    const cut = await t.app.http.inject({
      method: "POST",
      url: "/compose",
      headers: {
        "content-type": "multipart/form-data; boundary=XyZ",
        accept: "text/html",
        cookie: bea.cookieHeader,
      },
      payload: `--XyZ\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--XyZ\r\nContent-Disposition: form-data; name="text"\r\n\r\nCoupé en`,
    });
    expect(cut.statusCode).toBeGreaterThanOrEqual(400);
    expect(cut.statusCode).toBeLessThan(500);
    expect(cut.headers["content-type"]).toContain("text/html");
    const two = await bea.postMultipart(
      "/compose",
      { participants: ["Marie"], text: "Deux photos", photoAlt: "x" },
      {
        photo: { bytes: jpeg, type: "image/jpeg", name: "a.jpg" },
        other: { bytes: jpeg, name: "b.jpg" },
      },
    );
    expect(two.statusCode).toBe(413);
  });

  it("edits an encounter (text, visibility widened, private fields), keeping its participants", async () => {
    const created = await bea.postMultipart("/compose", {
      participants: ["@carl"],
      text: "Premier jet",
      visibility: "followers",
      setting: "indoors",
      circle: ["friends"],
    });
    const id = idOf(created.headers.location);
    const form = await bea.get(`/@bea/${id}/edit`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(">Premier jet</textarea>");
    expect(form.body).toContain('value="@carl"');
    // Only the same or a wider audience is offered.
    expect(form.body).not.toContain('value="participants"');
    expect(form.body).toContain('value="followers" checked');
    expect(form.body).toMatch(/<option value="indoors" selected>/);
    const participantBefore = (await t.app.encounterRepository.findById(id))?.participants[0]?.id;

    const saved = await bea.postMultipart(`/@bea/${id}/edit`, {
      participants: ["@carl"],
      text: "Version revue",
      visibility: "public",
      setting: "",
      distance: "close",
      circle: ["friends"],
    });
    expect(saved.statusCode, saved.body.slice(0, 300)).toBe(303);
    expect(saved.headers.location).toBe(`/@bea/${id}`);
    const view = await t.app.encounterRepository.findById(id);
    expect(view).toMatchObject({ text: "Version revue", visibility: "public" });
    expect(view?.participants[0]?.id).toBe(participantBefore);
    const priv = await t.app.privateFields.getPrivateFields("bea", id);
    expect(priv).toMatchObject({ setting: null, distance: "close" });
    expect(priv.participants[0]?.circle).toBe("friends");

    // Narrowing is refused next to the field.
    const narrowed = await bea.postMultipart(`/@bea/${id}/edit`, {
      participants: ["@carl"],
      text: "Version revue",
      visibility: "followers",
    });
    expect(narrowed.statusCode).toBe(422);
    expect(narrowed.body).toContain('id="f-visibility-error"');
  });

  it("someone else's encounter: 404 for its edit and delete pages and forms", async () => {
    const created = await bea.postMultipart("/compose", { participants: ["Marie"], text: "À moi" });
    const id = idOf(created.headers.location);
    for (const url of [`/@bea/${id}/edit`, `/@bea/${id}/delete`, `/@carl/${id}/edit`]) {
      expect((await carl.get(url)).statusCode, url).toBe(404);
    }
    const edit = await carl.postMultipart(`/@bea/${id}/edit`, {
      participants: ["Marie"],
      text: "Pris",
    });
    expect(edit.statusCode).toBe(404);
    const del = await carl.post(`/@bea/${id}/delete`);
    expect(del.statusCode).toBe(404);
    expect((await t.app.encounterRepository.findById(id))?.text).toBe("À moi");
    // A page of carl's shows no edit link for bea's encounter, but the reply form.
    const page = await carl.get(`/@bea/${id}`);
    expect(page.body).not.toContain(`/@bea/${id}/edit`);
    expect(page.body).toContain(`action="/encounters/${id}/replies"`);
    // A visitor sees neither.
    const visitor = await new WebClient(t.app.http).get(`/@bea/${id}`);
    expect(visitor.body).not.toContain(`/encounters/${id}/replies`);
  });

  it("deletes after a confirmation", async () => {
    const created = await bea.postMultipart("/compose", {
      participants: ["Marie"],
      text: "Éphémère",
    });
    const id = idOf(created.headers.location);
    const confirm = await bea.get(`/@bea/${id}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(`action="/@bea/${id}/delete"`);
    const deleted = await bea.post(`/@bea/${id}/delete`);
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe("/@bea");
    expect((await t.app.encounterRepository.findById(id))?.deletedAt).not.toBeNull();
    expect((await bea.get(`/@bea/${id}`)).statusCode).toBe(410);
  });

  it("replies under an encounter; an empty or too long reply comes back with its error", async () => {
    const created = await bea.postMultipart("/compose", {
      participants: ["@carl"],
      text: "On se répond ?",
    });
    const id = idOf(created.headers.location);
    const replied = await carl.post(`/encounters/${id}/replies`, { text: "Avec plaisir !" });
    expect(replied.statusCode).toBe(303);
    expect(String(replied.headers.location)).toMatch(
      new RegExp(`^/@bea/${id}#reply-[0-9a-f-]{36}$`),
    );
    const page = await bea.get(`/@bea/${id}`);
    expect(page.body).toContain("Avec plaisir !");
    const long = "a".repeat(501);
    const refused = await carl.post(`/encounters/${id}/replies`, { text: long });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain(`>${long}</textarea>`);
    expect(refused.body).toContain('id="f-reply-error"');
    const nowhere = await carl.post(`/encounters/00000000-0000-4000-8000-000000000000/replies`, {
      text: "Allô",
    });
    expect(nowhere.statusCode).toBe(404);
  });

  it("refuses every form without its CSRF token (403), storing nothing", async () => {
    const created = await bea.postMultipart("/compose", { participants: ["Marie"], text: "Gardé" });
    const id = idOf(created.headers.location);
    const count = async () =>
      (await t.app.database.rows<{ n: number }>(sql`select count(*)::int as n from encounters`))[0]
        ?.n;
    const before = await count();
    const compose = await bea.postMultipart(
      "/compose",
      { participants: ["Marie"], text: "Sans jeton" },
      {},
      { withoutToken: true },
    );
    expect(compose.statusCode).toBe(403);
    const edit = await bea.postMultipart(
      `/@bea/${id}/edit`,
      { participants: ["Marie"], text: "Sans jeton" },
      {},
      { withoutToken: true },
    );
    expect(edit.statusCode).toBe(403);
    expect((await bea.post(`/@bea/${id}/delete`, {}, { withoutToken: true })).statusCode).toBe(403);
    expect(
      (await carl.post(`/encounters/${id}/replies`, { text: "x" }, { withoutToken: true }))
        .statusCode,
    ).toBe(403);
    expect(await count()).toBe(before);
    const view = await t.app.encounterRepository.findById(id);
    expect(view).toMatchObject({ text: "Gardé", deletedAt: null });
  });
});
