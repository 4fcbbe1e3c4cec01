import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileJsonSchema } from "../../src/api/profile-routes.ts";
import { API, client, multipart } from "../api/helpers.ts";
import { solid } from "../media/images.ts";
import { buildInstancePair, PAIR_PASSWORDS, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { WebClient } from "../support/web.ts";

/**
 * bea edits her profile from the page on A; antoine, who follows her from B, hears of it
 * through an Update(Person), signed and delivered over real HTTP. She links antoine's account
 * as her own from /settings/linked, then unlinks it.
 */
describe(`/settings/profile and /settings/linked between two instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bea: WebClient;
  let beaIri: string;

  beforeAll(async () => {
    [a, b] = await buildInstancePair();
    beaIri = a.app.urls.actor("bea").href;
    await b.app.follows.follow("antoine", await b.app.remoteLookup.lookupActor(beaIri));
    await eventually(
      async () =>
        (await a.app.follows.followState(b.app.urls.actor("antoine").href, "bea")) === "accepted",
      { what: "A to accept antoine's follow" },
    );
    await drainQueue(a.app, b.app);
    bea = await new WebClient(a.app.http).login("bea", PAIR_PASSWORDS.bea);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  /** The profile form as the page posts it: multipart, with the page's CSRF token. */
  async function postProfile(fields: Record<string, string | Blob>, token = true) {
    const form = new FormData();
    if (token) form.append("_csrf", await bea.csrfToken());
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const body = await multipart(form);
    return a.app.http.inject({
      method: "POST",
      url: "/settings/profile",
      payload: body.payload,
      headers: { ...body.headers, accept: "text/html", cookie: bea.cookieHeader },
    });
  }

  it("saves the profile through the API's service and federates an Update(Person) to B", async () => {
    const page = await bea.get("/settings/profile");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('enctype="multipart/form-data"');
    expect(page.body).toMatch(/name="discoverable" value="on" checked/);

    const avatar = await solid(600, 600, "#a47").png().toBuffer();
    const saved = await postProfile({
      displayName: "Béatrice",
      bio: "Liens faibles,\nrencontres fortes.",
      "fields[0][name]": "Ville",
      "fields[0][value]": "Lyon",
      "fields[1][name]": "",
      "fields[1][value]": "",
      manuallyApprovesFollowers: "on",
      avatar: new Blob([avatar], { type: "image/png" }),
    });
    expect(saved.statusCode, saved.body).toBe(303);
    expect(saved.headers.location).toBe("/settings/profile?saved=1");

    // What the API reads back.
    const api = client(a.app, await a.app.members.createToken("bea"));
    const profile = profileJsonSchema.parse(
      (await api({ method: "GET", url: `${API}/profile` })).json(),
    );
    expect(profile).toMatchObject({
      displayName: "Béatrice",
      bio: "Liens faibles,\nrencontres fortes.",
      fields: [{ name: "Ville", value: "Lyon" }],
      manuallyApprovesFollowers: true,
      discoverable: false,
    });
    expect(profile.avatarUrl).toMatch(/\/media\/profiles\//);

    // B heard it: the new name, avatar and the approval of followers.
    await drainQueue(a.app, b.app);
    const row = await b.app.actors.findByIri(beaIri);
    expect(row).toMatchObject({
      name: "Béatrice",
      avatarUrl: profile.avatarUrl,
      manuallyApprovesFollowers: true,
    });
    // Not listed on A's home page any more.
    expect((await new WebClient(a.app.http).get("/")).body).not.toContain("Béatrice");
    const again = await bea.get("/settings/profile?saved=1");
    expect(again.body).toContain("Profil enregistré");
    expect(again.body).toMatch(/name="manuallyApprovesFollowers" value="on" checked/);
    expect(again.body).toContain('name="removeAvatar"');
  });

  it("refuses bad input next to the field, keeping what was typed, and changes nothing", async () => {
    const before = await a.app.profiles.get("bea");
    const long = await postProfile({ displayName: "B".repeat(101), bio: "gardée" });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('id="displayName-error">Au plus 100 caractères.</p>');
    expect(long.body).toContain(`value="${"B".repeat(101)}" aria-invalid="true"`);
    expect(long.body).toContain(">gardée</textarea>");
    const nameless = await postProfile({ displayName: "Béa", "fields[2][value]": "sans nom" });
    expect(nameless.statusCode).toBe(422);
    expect(nameless.body).toContain(
      'id="fields-2-name-error">Un champ qui a une valeur a besoin d&#39;un nom.</p>',
    );
    const both = await postProfile({
      displayName: "Béa",
      removeAvatar: "on",
      avatar: new Blob([await solid(400, 400).png().toBuffer()], { type: "image/png" }),
    });
    expect(both.statusCode).toBe(422);
    expect(both.body).toContain('id="avatar-error">');
    const notImage = await postProfile({
      displayName: "Béa",
      header: new Blob([Buffer.from("not an image")], { type: "image/png" }),
    });
    expect(notImage.statusCode).toBe(415);
    expect(notImage.body).toContain('<p class="field-error" id="header-error">');
    expect(notImage.body).toContain("Choisis de nouveau les images");
    // Past the parser's limit: the form again, saying why.
    const huge = await postProfile({
      displayName: "Béa",
      header: new Blob([Buffer.alloc(10 * 1024 * 1024 + 1)], { type: "image/png" }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.body).toContain("Le formulaire n&#39;a pas pu être lu");
    expect(huge.body).toContain('action="/settings/profile"');
    const forged = await postProfile({ displayName: "Forgée" }, false);
    expect(forged.statusCode).toBe(403);
    expect(await a.app.profiles.get("bea")).toEqual(before);
  });

  it("links antoine's account from the page: pending, then unlinked", async () => {
    const linked = await bea.post("/settings/linked", {
      account: b.app.urls.actor("antoine").href,
    });
    expect(linked.statusCode, linked.body).toBe(303);
    expect(linked.headers.location).toBe("/settings/linked?requested=1");
    expect(
      await a.app.trackerSettings.get((await a.app.members.findByUsername("bea"))?.id ?? ""),
    ).toMatchObject({
      linkedAccountIri: b.app.urls.actor("antoine").href,
      linkedAccountConfirmed: false,
    });
    const page = await bea.get("/settings/linked?requested=1");
    expect(page.body).toContain("Message envoyé.");
    expect(page.body).toContain(": en attente.");
    expect(page.body).toContain('action="/settings/linked/unlink"');
    await drainQueue(a.app, b.app);

    const unlinked = await bea.post("/settings/linked/unlink");
    expect(unlinked.statusCode).toBe(303);
    const after = await bea.get("/settings/linked?unlinked=1");
    expect(after.body).toContain("Compte délié.");
    expect(after.body).toContain("Aucun compte relié.");
  });
});
