import { Follow, isActor } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileJsonSchema } from "../../src/api/profile-routes.ts";
import { API, client, multipart } from "../api/helpers.ts";
import { jpegWithGps, solid } from "../media/images.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { drainQueue } from "../support/queue.ts";
import { type Recorder, startRecorder } from "../support/recording-server.ts";

type Json = Record<string, unknown>;
const AP = "application/activity+json";

/**
 * A member of A edits her profile; B, where someone follows her, hears of it through an
 * `Update(Person)` and shows her new name and avatar. A recording server that follows her too
 * keeps the exact JSON sent. Then a remote actor that B has not heard from for more than a day
 * is fetched again, in the background, when someone names it.
 */
describe(`living profiles between two instances (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let rec: Recorder;
  let beaIri: string;
  let bea: ReturnType<typeof client>;

  beforeAll(async () => {
    [a, b, rec] = await Promise.all([
      buildTestApp({ listen: true }),
      buildTestApp({ listen: true }),
      startRecorder(),
    ]);
    await a.app.members.create({
      username: "bea",
      password: "bea-password-123",
      displayName: "Béa",
    });
    await a.app.members.create({ username: "carol", password: "carol-password-1" });
    await b.app.members.create({ username: "antoine", password: "antoine-password-1" });
    bea = client(a.app, await a.app.members.createToken("bea"));
    beaIri = a.app.urls.actor("bea").href;

    // antoine@B follows bea@A.
    await b.app.follows.follow("antoine", await b.app.remoteLookup.lookupActor(beaIri));
    await eventually(
      async () =>
        (await a.app.follows.followState(b.app.urls.actor("antoine").href, "bea")) === "accepted",
      { what: "A to accept antoine's follow" },
    );
    // rita@R follows bea too: R records what it receives, byte for byte.
    const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
    const target = await ctx.lookupObject(beaIri);
    if (!isActor(target) || !target.id) throw new Error("no bea on A");
    await ctx.sendActivity(
      { identifier: "rita" },
      target,
      new Follow({
        id: new URL("/follows/bea", rec.origin),
        actor: new URL(rec.actorIri),
        object: target.id,
      }),
    );
    await eventually(
      async () => (await a.app.follows.followState(rec.actorIri, "bea")) === "accepted",
      { what: "A to accept rita's follow" },
    );
    // bea names antoine in an encounter: B keeps it and shows it, with bea's name.
    await a.app.encounters.create("bea", {
      text: "Café avec Antoine",
      participants: [b.app.urls.actor("antoine").href],
    });
    await drainQueue(a.app, b.app);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), rec?.app.close()]);
  });

  const tagPageOfB = async () =>
    (await b.app.http.inject({ method: "GET", url: "/tags/socialdapres" })).body;

  it("bea edits her name, bio, fields and avatar on A; B receives the Update(Person) and shows them", async () => {
    expect(await tagPageOfB()).toContain(">Béa</a>");
    const form = new FormData();
    form.append("displayName", "Béatrice");
    form.append("bio", "Liens faibles, rencontres fortes.\nhttps://bea.example");
    form.append("fields[0][name]", "Ville");
    form.append("fields[0][value]", "Lyon");
    form.append("fields[1][name]", "Site");
    form.append("fields[1][value]", "https://bea.example");
    form.append("avatar", new Blob([await jpegWithGps()]), "me.jpg");
    form.append("header", new Blob([await solid(1200, 600, "#468").png().toBuffer()]), "h.png");
    const response = await bea({
      method: "PATCH",
      url: `${API}/profile`,
      ...(await multipart(form)),
    });
    expect(response.statusCode, response.body).toBe(200);
    const profile = profileJsonSchema.parse(response.json());

    await eventually(async () => (await b.app.actors.findByIri(beaIri))?.name === "Béatrice", {
      what: "B to apply bea's Update",
    });
    const row = await b.app.actors.findByIri(beaIri);
    expect(row).toMatchObject({
      name: "Béatrice",
      avatarUrl: profile.avatarUrl,
      summary:
        '<p>Liens faibles, rencontres fortes.<br><a href="https://bea.example" rel="nofollow noopener noreferrer">bea.example</a></p>',
    });
    // B shows her new name where it showed the old one.
    const page = await tagPageOfB();
    expect(page).toContain(">Béatrice</a>");
    expect(page).not.toContain(">Béa</a>");

    // The avatar B was given is A's own, cropped and without metadata.
    const avatar = await fetch(profile.avatarUrl as string);
    expect(avatar.headers.get("content-type")).toBe("image/webp");
    const bytes = Buffer.from(await avatar.arrayBuffer());
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 400, height: 400 });
    expect(bytes.includes("RUE-DES-LILAS-12")).toBe(false);
  });

  it("the Update is Mastodon's: the whole actor embedded, public, signed by bea, sent once per server", async () => {
    await eventually(() => rec.received.some((r) => r.type === "Update"), {
      what: "the recording server to receive the Update",
    });
    const updates = rec.received.filter((r) => r.type === "Update");
    expect(updates).toHaveLength(1);
    const [update] = updates;
    // Delivered to the shared inbox (one request per server).
    expect(update?.recipient).toBeNull();
    const json = update?.json as Json;
    expect(json).toMatchObject({
      type: "Update",
      actor: beaIri,
      to: "https://www.w3.org/ns/activitystreams#Public",
      cc: a.app.urls.followers("bea").href,
    });
    expect(json.id).toMatch(new RegExp(`^${a.baseUrl}/activities/update/`));
    const person = json.object as Json;
    expect(person).toMatchObject({
      id: beaIri,
      type: "Person",
      name: "Béatrice",
      icon: { type: "Image", mediaType: "image/webp" },
      image: { type: "Image", mediaType: "image/webp" },
      attachment: [
        { type: "PropertyValue", name: "Ville", value: "Lyon" },
        {
          type: "PropertyValue",
          name: "Site",
          value:
            '<a href="https://bea.example" rel="me nofollow noopener noreferrer">bea.example</a>',
        },
        // bea is the instance's first member: a pioneer, after her own fields.
        { type: "PropertyValue", name: "Pionnier·e", value: "n° 1 sur 100" },
      ],
      publicKey: { id: `${beaIri}#main-key`, owner: beaIri },
    });
    // The terms Mastodon reads the fields with are defined.
    expect(JSON.stringify(json["@context"])).toContain('"PropertyValue":"schema:PropertyValue"');

    // The actor served at its id says the same.
    const served = (await (await fetch(beaIri, { headers: { accept: AP } })).json()) as Json;
    expect(served).toMatchObject({
      name: person.name,
      summary: person.summary,
      icon: person.icon,
      image: person.image,
      attachment: person.attachment,
    });
  });

  it("bea's profile page shows her bio, avatar, header and fields, in French and in English", async () => {
    const member = await a.app.members.findByUsername("bea");
    for (const [lang, alt, fieldsLabel] of [
      ["fr", "Avatar de Béatrice", "Informations du profil"],
      ["en", "Béatrice&#39;s avatar", "Profile details"],
    ] as const) {
      const page = await a.app.http.inject({
        method: "GET",
        url: "/@bea",
        headers: { "accept-language": lang },
      });
      expect(page.statusCode).toBe(200);
      const html = page.body;
      expect(html).toContain(
        `<img class="u-photo avatar" src="${member?.avatarUrl}" alt="${alt}" width="400" height="400">`,
      );
      expect(html).toContain(`<img class="profile-header" src="${member?.headerUrl}"`);
      expect(html).toContain(
        '<div class="p-note"><p>Liens faibles, rencontres fortes.<br><a href="https://bea.example" rel="nofollow noopener noreferrer">bea.example</a></p></div>',
      );
      expect(html).toContain(`<dl class="profile-fields" aria-label="${fieldsLabel}">`);
      expect(html).toContain("<dt><bdi>Ville</bdi></dt><dd><bdi>Lyon</bdi></dd>");
      expect(html).toContain(
        '<dd><bdi><a href="https://bea.example" rel="me nofollow noopener noreferrer">bea.example</a></bdi></dd>',
      );
    }
  });

  it("the CLI's `user edit` federates the same way", async () => {
    const { runCommand } = await import("../../src/cli/commands.ts");
    const out: string[] = [];
    const code = await runCommand(a.app, ["user", "edit", "bea", "--display-name", "Béa M."], {
      out: (line) => out.push(line),
      err: (line) => out.push(line),
    });
    expect(code, out.join("\n")).toBe(0);
    await eventually(async () => (await b.app.actors.findByIri(beaIri))?.name === "Béa M.", {
      what: "B to apply the second Update",
    });
    await eventually(() => rec.received.filter((r) => r.type === "Update").length === 2);
  });

  it("a remote actor fetched more than a day ago is fetched again, in the background, when named", async () => {
    const carolIri = a.app.urls.actor("carol").href;
    // B met carol once, and has not heard of her since.
    await b.app.actors.upsertRemote(await b.app.remoteLookup.lookupActor(carolIri));
    await b.app.database.rows(
      sql`update actors set fetched_at = now() - interval '2 days' where iri = ${carolIri}`,
    );
    // carol changes her name; nobody follows her, so nobody is told.
    await a.app.profiles.update("carol", { displayName: "Carole" });
    await drainQueue(a.app, b.app);
    // Without a display name, her actor's name is her username.
    expect((await b.app.actors.findByIri(carolIri))?.name).toBe("carol");

    // antoine names her: the encounter is written with what B has, and B fetches her again.
    const view = await b.app.encounters.create("antoine", {
      text: "Croisé Carole",
      participants: [carolIri],
    });
    expect(view.participants[0]?.actor?.iri).toBe(carolIri);
    await eventually(async () => (await b.app.actors.findByIri(carolIri))?.name === "Carole", {
      what: "B to refresh carol",
    });
    const [fresh] = await b.app.database.rows<{ age: number }>(
      sql`select extract(epoch from now() - fetched_at)::float as age from actors where iri = ${carolIri}`,
    );
    expect(fresh?.age).toBeLessThan(60);
  });
});
