import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import type { EncounterView } from "../../src/encounters/encounters-repository.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import {
  buildEncounterScenario,
  type EncounterScenario,
  HIDDEN_MARKERS,
} from "./encounter-scenario.ts";

const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

const articles = (html: string) => html.match(/class="h-entry"/g)?.length ?? 0;

describe(`public encounter pages (${databaseLabel})`, () => {
  let t: TestApp;
  let app: App;
  let base: string;
  let s: EncounterScenario;

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.http.inject({ method: "GET", url, headers: { accept: BROWSER, ...headers } });
  const page = async (url: string, headers: Record<string, string> = {}) => {
    const response = await get(url, headers);
    expect(response.statusCode, `${url}: ${response.body.slice(0, 300)}`).toBe(200);
    return response.body;
  };
  const permalink = (view: EncounterView) => new URL(view.url as string).pathname;

  beforeAll(async () => {
    t = await buildTestApp();
    app = t.app;
    base = t.baseUrl;
    s = await buildEncounterScenario(app);
  });
  afterAll(() => t.close());

  it("shows a public encounter on its permalink, escaped, linked, with h-entry markup", async () => {
    const html = await page(permalink(s.pub));
    expect(html).toMatch(/^<!doctype html>\n<html lang="fr">/);
    // The author's text is text: the script tag shows, never runs.
    expect(html).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    // Author: name, handle, link to the profile; name and handle each isolated (bidi).
    const host = new URL(base).host;
    expect(html).toContain(
      `<p class="p-author h-card"><bdi><a class="u-url p-name" href="${base}/@bea">Béa Martin</a></bdi> <span class="handle" dir="ltr">@bea@${host}</span></p>`,
    );
    // Participants: the member linked to their profile, the plain name as escaped text.
    expect(html).toMatch(
      new RegExp(
        `<p class="with">Avec\u00a0: <bdi><a class="u-category h-card" href="${base}/@antoine">Antoine Brachet</a></bdi>`,
      ),
    );
    expect(html).toContain("<bdi>Zoé &lt;b&gt;Plain&lt;/b&gt;</bdi>");
    // The @mention and #hashtag inside the text are links too.
    expect(html).toContain(`<a class="u-category h-card" href="${base}/@antoine">@antoine</a>`);
    expect(html).toContain(
      `<a class="p-category" rel="tag" href="/tags/BrightMirror">#BrightMirror</a>`,
    );
    // Keywords link to their tag pages, in any script.
    expect(html).toContain(
      `<a class="p-category" rel="tag" href="/tags/Barbares">#<bdi>Barbares</bdi></a>`,
    );
    expect(html).toContain(`href="/tags/%C3%A9t%C3%A9">#<bdi>été</bdi></a>`);
    expect(html).toContain(`href="/tags/%E6%9D%B1%E4%BA%AC">#<bdi>東京</bdi></a>`);
    // Public details with their labels, escaped.
    expect(html).toContain("<dt>Émotion ressentie</dt><dd>joie &amp; gratitude</dd>");
    expect(html).toContain("<dt>Comment va la personne</dt><dd>Il va bien.</dd>");
    // Co-signers, counts, dates, microformats.
    expect(html).toMatch(
      /Co-signé par <bdi><a class="h-card" href="[^"]+\/@antoine">Antoine Brachet<\/a><\/bdi>/,
    );
    expect(html).toMatch(/<strong>0<\/strong> j&#39;aime/);
    expect(html).toContain(`<time datetime="${s.pub.occurredOn}">`);
    expect(html).toContain(`class="dt-published" datetime="${s.pub.publishedAt.toISOString()}"`);
    expect(html).toContain(`<a class="u-url" href="${s.pub.url}">`);
    expect(html).toContain(`<div class="e-content"><p>Ravie d&#39;avoir croisé`);
    // How to reach it from Mastodon, and the Note for software that reads the HTML page.
    expect(html).toContain(`<code>${s.pub.url}</code>`);
    expect(html).toContain(
      `<link rel="alternate" type="application/activity+json" href="${s.pub.iri}">`,
    );
  });

  it("shows the photo with its alt text, size, and a link to the full image, all served", async () => {
    const html = await page(permalink(s.pub));
    const photo = s.pub.photo;
    if (!photo) throw new Error("the photo was not stored");
    expect(html).toContain(
      `<a href="${photo.url}" title="Voir la photo en grand"><img class="u-photo" src="${photo.thumbnailUrl}" alt="Antoine devant la gare &lt;3" width="800" height="600"`,
    );
    for (const url of [photo.url, photo.thumbnailUrl]) {
      const response = await app.http.inject({ method: "GET", url: new URL(url).pathname });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toMatch(/^image\//);
    }
  });

  it("speaks English to browsers that prefer it", async () => {
    const response = await get(permalink(s.pub), { "accept-language": "en-US,en;q=0.9,fr;q=0.5" });
    expect(response.headers["content-language"]).toBe("en");
    expect(response.body).toMatch(/<html lang="en">/);
    for (const text of [
      "With:",
      "Co-signed by",
      "Emotion felt",
      "How they are doing",
      "boosts",
      "From Mastodon",
    ]) {
      expect(response.body).toContain(text);
    }
    expect(response.body).not.toContain("Co-signé");
  });

  it("answers 404 for followers-only, participants-only, unknown and misplaced encounters", async () => {
    const paths = [
      permalink(s.followersOnly),
      permalink(s.participantsOnly),
      `/@bea/${randomUUID()}`,
      `/@bea/not-a-uuid`,
      `/@nobody/${s.pub.id}`,
      // Right id, wrong author.
      `/@antoine/${s.pub.id}`,
      // A remote encounter has no permalink here.
      `/@bea/${s.remoteId}`,
      // Deleted, but it was never public: no 410 that would tell it existed.
      permalink(s.deletedSecret),
    ];
    for (const path of paths) {
      const response = await get(path);
      expect(response.statusCode, path).toBe(404);
      expect(response.body).toContain("Aucune rencontre publique à cette adresse.");
      expect(response.body).not.toMatch(/SECRET|DELETED-MARKER/);
    }
  });

  it("answers 410 Gone for a s.deleted public encounter", async () => {
    const response = await get(permalink(s.deleted));
    expect(response.statusCode).toBe(410);
    expect(response.body).toContain("Rencontre supprimée");
    expect(response.body).not.toContain("DELETED-MARKER");
  });

  it("shows an s.unlisted encounter on its permalink only, kept out of search engines", async () => {
    const html = await page(permalink(s.unlisted));
    expect(html).toContain("UNLISTED-MARKER");
    expect(html).toContain(`<meta name="robots" content="noindex">`);
    for (const path of ["/@bea", "/@antoine", "/tags/socialdapres", "/tags/%C3%A9t%C3%A9"]) {
      expect(await page(path), path).not.toContain("UNLISTED-MARKER");
    }
  });

  it("never lists followers-only, participants-only or s.deleted encounters, local or remote", async () => {
    for (const path of [
      "/@bea",
      "/@antoine",
      "/@chloe",
      "/tags/socialdapres",
      "/tags/%C3%A9t%C3%A9",
      "/",
    ]) {
      const html = await page(path);
      for (const secret of HIDDEN_MARKERS)
        expect(html, `${secret} on ${path}`).not.toContain(secret);
    }
  });

  it("lists a member's public encounters and those they co-signed, but not those they s.declined", async () => {
    const bea = await page("/@bea");
    expect(bea).toContain("Ravie d&#39;avoir croisé");
    expect(articles(bea)).toBe(1);
    const antoine = await page("/@antoine");
    expect(antoine).toContain("Ravie d&#39;avoir croisé");
    expect(antoine).not.toContain("DECLINED-MARKER");
    expect(articles(antoine)).toBe(1);
    // The author still shows it.
    const chloe = await page("/@chloe");
    expect(chloe).toContain("DECLINED-MARKER");
    expect(articles(chloe)).toBe(1);
  });

  it("pages a profile 20 at a time, newest first, with an older link", async () => {
    const first = await page("/@busy");
    expect(articles(first)).toBe(20);
    const order = Array.from(first.matchAll(/PAGE-(\d\d)/g), (m) => m[1]);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => String(i).padStart(2, "0")));
    const older = /<a rel="next" href="([^"]+)">Plus anciennes/.exec(first)?.[1];
    // The key of the last one shown: its time and its id (keyset paging, src/db/keyset.ts).
    expect(older).toMatch(
      new RegExp(
        `^/@busy\\?before=${encodeURIComponent("2026-01-10T11:41:00.000Z")}_[0-9a-f-]{36}$`,
      ),
    );
    const second = await page((older as string).replace(/&amp;/g, "&"));
    expect(Array.from(second.matchAll(/PAGE-(\d\d)/g), (m) => m[1])).toEqual(["20", "21", "22"]);
    expect(second).not.toContain('rel="next"');
  });

  it("pages a tag page the same way", async () => {
    const first = await page("/tags/paging");
    expect(articles(first)).toBe(20);
    const older = /<a rel="next" href="([^"]+)">/.exec(first)?.[1] as string;
    expect(older).toMatch(/^\/tags\/paging\?before=/);
    expect(articles(await page(older))).toBe(3);
  });

  it("refuses a malformed paging date or keyword with a 400 page", async () => {
    const badDate = await get("/@bea?before=yesterday");
    expect(badDate.statusCode).toBe(400);
    expect(badDate.body).toContain("ISO 8601");
    const badTag = await get("/tags/two%20words");
    expect(badTag.statusCode).toBe(400);
    expect(badTag.body).toContain("1 à 50 lettres");
    expect((await get("/tags/paging?before=2026-13-45")).statusCode).toBe(400);
  });

  it("lists every public #Socialdapres encounter, local and remote, newest first", async () => {
    const html = await page("/tags/socialdapres");
    expect(html).toContain("<h1>Rencontres #Socialdapres</h1>");
    expect(html).toContain("DECLINED-MARKER");
    // A remote one: its sanitized HTML as received, its author and its link to the original.
    expect(html).toContain('<p>REMOTE-CONTENT <a href="https://remote.example/tags/ete"');
    expect(html).toContain(
      `<a class="u-url p-name" href="https://remote.example/@zed">Zed Remote</a>`,
    );
    expect(html).toContain(`<a class="u-url" href="https://remote.example/@zed/${s.remoteId}">`);
    // A remote `url` that is not http(s) is never a link.
    expect(html).toContain("REMOTE-UNSAFE");
    expect(html).not.toContain("javascript:");
    // Newest first: the encounters created last come before those published earlier.
    expect(html.indexOf("DECLINED-MARKER")).toBeLessThan(html.indexOf("Ravie d&#39;avoir"));
    expect(html.indexOf("Ravie d&#39;avoir")).toBeLessThan(html.indexOf("REMOTE-CONTENT"));
    expect(html.indexOf("REMOTE-CONTENT")).toBeLessThan(html.indexOf("PAGE-00"));
    // The accented spelling of the movement is the same tag.
    expect(await page("/tags/Socialdapr%C3%A8s")).toContain("REMOTE-CONTENT");
  });

  it("lists encounters by keyword, case-insensitively, in any script", async () => {
    const ete = await page("/tags/%C3%89T%C3%89"); // ÉTÉ
    expect(ete).toContain("Ravie d&#39;avoir");
    expect(ete).toContain("DECLINED-MARKER");
    expect(ete).toContain("REMOTE-CONTENT"); // stored as "Été"
    expect(ete).not.toContain("PAGE-00");
    expect(await page("/tags/%E6%9D%B1%E4%BA%AC")).toContain("Ravie d&#39;avoir"); // 東京
    expect(await page(`/tags/${encodeURIComponent("встреча")}`)).toContain("REMOTE-CONTENT");
    const none = await page("/tags/nothingHere");
    expect(articles(none)).toBe(0);
    expect(none).toContain("Aucune rencontre publique pour l&#39;instant.");
  });

  it("serves the Note at the permalink to ActivityPub clients, the page to browsers", async () => {
    const actor = await get("/@bea", { accept: "application/activity+json" });
    expect(actor.statusCode).toBe(200);
    expect(JSON.parse(actor.body).id).toBe(app.urls.actor("bea").href);
    const note = await get(permalink(s.pub), { accept: "application/activity+json" });
    expect(note.statusCode).toBe(200);
    expect(note.headers["content-type"]).toMatch(/activity\+json/);
    expect(JSON.parse(note.body)).toMatchObject({ id: s.pub.iri, url: s.pub.url });
    // A followers-only Note is not handed to an anonymous request at its permalink either.
    const hidden = await get(permalink(s.followersOnly), { accept: "application/activity+json" });
    expect(hidden.statusCode).toBeGreaterThanOrEqual(400);
    expect(hidden.body).not.toContain("SECRET-FOLLOWERS");
  });
});
