import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { insertRemoteEncounter } from "../support/remote-encounter.ts";

/*
 * A right-to-left override (U+202E) in a name or a text reverses everything
 * after it, our own words included. On the pages, bidi controls are gone and
 * what people wrote sits in its own isolate, so its neighbours keep their order.
 */

const RLO = "\u202E";
/** Embeddings, overrides and isolates: none may reach a page outside our own FSI…PDI. */
const CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

const evil: RemoteActorRecord = {
  iri: "https://evil.example/users/evil",
  type: "Person",
  username: "evil",
  host: "evil.example",
  name: `${RLO}evil`,
  summary: "",
  url: "https://evil.example/@evil",
  inboxUrl: "https://evil.example/users/evil/inbox",
  sharedInboxUrl: null,
  followersUrl: null,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
};

describe(`bidirectional text on the pages (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let permalink: string;

  const page = async (url: string, lang = "fr") => {
    const response = await app.http.inject({
      method: "GET",
      url,
      headers: { accept: "text/html", "accept-language": lang },
    });
    expect(response.statusCode, url).toBe(200);
    return response.body;
  };
  /** The page without its <title>, the one place where we put isolates (FSI…PDI) ourselves. */
  const withoutTitle = (html: string) => html.replace(/<title>[^<]*<\/title>/, "");

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    await app.members.create({
      username: "twin",
      displayName: `${RLO}evil twin`,
      password: "twin-password-2021",
    });
    const author = await app.actors.upsertRemote(evil);
    const local = await app.encounters.create("twin", {
      text: `Met ${RLO}someone at the market`,
      participants: [`${RLO}Marie`, evil.iri],
      keywords: ["שלום", "עולם"],
      details: { howTheyAre: `${RLO}fine` },
    });
    permalink = new URL(local.url as string).pathname;
    // A remote encounter stored before the sanitizer took the controls out.
    await insertRemoteEncounter(app, author, {
      text: `Hello ${RLO}dlrow REMOTE`,
      remoteContentHtml: `<p>Hello ${RLO}dlrow REMOTE</p>`,
    });
  });
  afterAll(() => t.close());

  it("isolates a remote name and its handle, stripped of the override, before what follows", async () => {
    const html = await page("/tags/socialdapres");
    expect(html).toContain(
      `<p class="p-author h-card"><bdi><a class="u-url p-name" href="https://evil.example/@evil">evil</a></bdi> <span class="handle" dir="ltr">@evil@evil.example</span></p>`,
    );
    // Remote HTML: the override is gone, the words around it are in their order.
    expect(html).toContain('<div class="e-content"><p>Hello dlrow REMOTE</p></div>');
    expect(withoutTitle(html)).not.toMatch(CONTROLS);
  });

  it("isolates each participant's name and each keyword, separators outside", async () => {
    const html = await page(permalink);
    const host = new URL(t.baseUrl).host;
    expect(html).toContain(
      `<p class="with">Avec\u00a0: <bdi>Marie</bdi>, <bdi><a class="u-category h-card" href="https://evil.example/@evil">evil</a></bdi> <span class="handle" dir="ltr">@evil@evil.example</span></p>`,
    );
    expect(html).toContain(
      `<p class="tags"><a class="p-category" rel="tag" href="/tags/${encodeURIComponent("שלום")}">#<bdi>שלום</bdi></a> <a class="p-category" rel="tag" href="/tags/${encodeURIComponent("עולם")}">#<bdi>עולם</bdi></a></p>`,
    );
    expect(html).toContain(
      `<bdi><a class="u-url p-name" href="${t.baseUrl}/@twin">evil twin</a></bdi> <span class="handle" dir="ltr">@twin@${host}</span>`,
    );
    expect(html).toContain("<h1>Rencontre racontée par <bdi>evil twin</bdi></h1>");
    expect(html).toContain("<p>Met someone at the market</p>");
    expect(html).toContain("<dd>fine</dd>");
    // The title is plain text: each of their parts between FSI and PDI.
    expect(html).toContain(
      "<title>\u2068evil twin\u2069: “\u2068Met someone at the market\u2069”</title>",
    );
    expect(withoutTitle(html)).not.toMatch(CONTROLS);
  });

  it("does the same on a profile, the home page and a keyword's page", async () => {
    const profile = await page("/@twin");
    expect(profile).toContain('<h1 class="p-name">evil twin</h1>');
    expect(profile).toMatch(/<title>\u2068evil twin\u2069 \(@twin@[^)]+\)<\/title>/);
    const home = await page("/");
    expect(home).toContain('<li><bdi><a href="/@twin">evil twin</a></bdi> <span class="handle">');
    const tag = await page(`/tags/${encodeURIComponent("שלום")}`, "en");
    expect(tag).toContain("<h1>Encounters #<bdi>שלום</bdi></h1>");
    expect(tag).toContain("<title>Encounters #\u2068שלום\u2069</title>");
    for (const html of [profile, home, tag]) expect(withoutTitle(html)).not.toMatch(CONTROLS);
  });
});
