/**
 * Every list pages by keys (src/db/keyset.ts): walking all pages gives each row once, with no
 * gap, even when rows share the same instant and when new rows arrive between two pages.
 * Walked through HTTP as a client would: the pages' "older"/"next" links, Mastodon's `Link`
 * header, ActivityPub's `next`.
 */
import { sql } from "drizzle-orm";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app-contract.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { remoteActorRecord } from "../support/remote-actor.ts";
import { WebClient } from "../support/web.ts";

const AP = "application/activity+json";
const PASSWORD = "bea-paging-password-1";
/** More than two pages of every list (HTML 20 and 40, AP 20 and 50, API 7 a page here). */
const ENCOUNTERS = 45;
const FOLLOWERS = 95;
/** One instant shared by many rows: keys, not times alone, must tell them apart. */
const SAME_INSTANT = new Date("2026-02-01T10:00:00.000Z");

const remoteActor = (i: number) => remoteActorRecord(i, { prefix: "paging", username: "p" });

const nextLink = (response: LightMyRequestResponse) =>
  /<([^>]+)>; rel="next"/.exec(String(response.headers.link ?? ""))?.[1];

describe(`keyset paging of every list (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;
  let base: string;
  let member: WebClient;
  let api: WebClient;
  let activityJson: WebClient;
  const encounterIds: string[] = [];
  let beaActorId = "";

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    base = testApp.baseUrl;
    await app.members.create({ username: "bea", password: PASSWORD });
    beaActorId = (await app.members.findWithActor("bea"))?.actor.id ?? "";
    for (let i = 0; i < ENCOUNTERS; i++) {
      const view = await app.encounters.create("bea", {
        text: `Page walk ${i} #Socialdapres`,
        participants: ["Zoé"],
        keywords: ["Marcher"],
      });
      encounterIds.push(view.id);
    }
    // Most of them at one instant: only the id orders them.
    await app.database.rows(
      sql`update encounters set published_at = ${SAME_INSTANT.toISOString()}::timestamptz
          where id in (select id from encounters order by id limit 30)`,
    );
    for (let i = 0; i < FOLLOWERS; i++) {
      await app.follows.receiveFollow({
        follower: remoteActor(i),
        username: "bea",
        activityIri: `${remoteActor(i).iri}#follow`,
      });
    }
    await app.database.rows(
      sql`update follows set created_at = ${SAME_INSTANT.toISOString()}::timestamptz
          where id in (select id from follows order by id limit 60)`,
    );
    // Notifications: bea is named in encounters of someone else, many at one instant.
    await app.members.create({ username: "antoine", password: "antoine-paging-password" });
    for (let i = 0; i < 30; i++) {
      await app.encounters.create("antoine", {
        text: `Naming bea ${i}`,
        participants: ["@bea"],
        keywords: [],
      });
    }
    await app.database.rows(
      sql`update notifications set created_at = ${SAME_INSTANT.toISOString()}::timestamptz
          where id in (select id from notifications order by id limit 20)`,
    );
    member = await new WebClient(app.http).login("bea", PASSWORD);
    api = new WebClient(app.http, {
      authorization: `Bearer ${await app.members.createToken("bea", "paging")}`,
    });
    activityJson = new WebClient(app.http, { accept: AP });
  });
  afterAll(() => testApp?.close());

  /** Follows the HTML pages' `rel="next"` links; returns the ids each page showed. */
  async function walkHtml(
    client: WebClient,
    start: string,
    idsOf: (html: string) => string[],
    between?: () => Promise<void>,
  ): Promise<string[]> {
    const seen: string[] = [];
    let path: string | undefined = start;
    for (let pages = 0; path && pages < 50; pages++) {
      const response = await client.get(path);
      expect(response.statusCode, path).toBe(200);
      seen.push(...idsOf(response.body));
      path = /<a rel="next" href="([^"]+)"/.exec(response.body)?.[1]?.replace(/&amp;/g, "&");
      await between?.();
    }
    return seen;
  }

  const encounterLinks = (html: string) =>
    Array.from(html.matchAll(/Page walk (\d+)/g), (m) => m[1] as string);

  it("the profile and the keyword tag: every encounter once, new ones arriving between pages", async () => {
    let added = 0;
    const arrive = async () => {
      // Newer than every page already read: it never shows in the rest of the walk.
      added++;
      await app.encounters.create("bea", { text: `Arrived ${added}`, participants: ["Zoé"] });
    };
    for (const start of ["/@bea", "/tags/marcher"]) {
      const seen = await walkHtml(new WebClient(app.http), start, encounterLinks, arrive);
      expect(seen.length, start).toBe(ENCOUNTERS);
      expect(new Set(seen).size, start).toBe(ENCOUNTERS);
    }
    // The member's own list and home too.
    for (const start of ["/encounters", "/home"]) {
      const seen = await walkHtml(member, start, encounterLinks);
      expect(new Set(seen).size, start).toBe(ENCOUNTERS);
      expect(seen.length, start).toBe(ENCOUNTERS);
    }
  });

  it("the Mastodon API's account statuses and home: Link next walks everything once", async () => {
    for (const start of [
      `/api/v1/accounts/${beaActorId}/statuses?limit=7`,
      "/api/v1/timelines/home?limit=7",
      "/api/v1/timelines/tag/marcher?limit=7",
    ]) {
      const seen: string[] = [];
      let url: string | undefined = start;
      for (let pages = 0; url && pages < 50; pages++) {
        const response = await api.get(url);
        expect(response.statusCode, url).toBe(200);
        const page = response.json() as Array<{ id: string }>;
        seen.push(...page.map((s) => s.id));
        const next = nextLink(response);
        url = next ? new URL(next).pathname + new URL(next).search : undefined;
      }
      const walked = seen.filter((id) => encounterIds.includes(id));
      expect(new Set(walked).size, start).toBe(ENCOUNTERS);
      expect(walked.length, start).toBe(ENCOUNTERS);
    }
  });

  it("followers and following: HTML pages, the AP collection's next, the API's Link", async () => {
    const followerIris = (html: string) =>
      Array.from(html.matchAll(/https:\/\/paging\d\.example\/users\/p(\d+)/g), (m) => m[1]);
    const html = await walkHtml(member, "/followers", (body) => [
      ...new Set(followerIris(body).filter((x): x is string => x !== undefined)),
    ]);
    expect(html.length).toBe(FOLLOWERS);
    expect(new Set(html).size).toBe(FOLLOWERS);

    const collection = (await activityJson.get("/users/bea/followers")).json() as {
      totalItems: number;
      first: string;
    };
    expect(collection.totalItems).toBe(FOLLOWERS);
    const ap: string[] = [];
    let next: string | undefined = collection.first;
    let added = 0;
    for (let pages = 0; next && pages < 20; pages++) {
      const page = (await activityJson.get(next.replace(base, ""))).json() as {
        orderedItems?: string[];
        next?: string;
      };
      ap.push(...(page.orderedItems ?? []));
      next = page.next;
      // A new follower between two pages: newer than any page read, never in this walk.
      added++;
      await app.follows.receiveFollow({
        follower: remoteActor(1000 + added),
        username: "bea",
        activityIri: `${remoteActor(1000 + added).iri}#follow`,
      });
    }
    expect(ap.length).toBe(FOLLOWERS);
    expect(new Set(ap).size).toBe(FOLLOWERS);

    const viaApi: string[] = [];
    let url: string | undefined = `/api/v1/accounts/${beaActorId}/followers?limit=40`;
    for (let pages = 0; url && pages < 20; pages++) {
      const response = await api.get(url);
      expect(response.statusCode).toBe(200);
      viaApi.push(...(response.json() as Array<{ url: string }>).map((a) => a.url));
      const link = nextLink(response);
      url = link ? new URL(link).pathname + new URL(link).search : undefined;
    }
    expect(viaApi.length).toBe(FOLLOWERS + added);
    expect(new Set(viaApi).size).toBe(FOLLOWERS + added);
  });

  it("the outbox: AP next walks every public encounter once", async () => {
    const outbox = (await activityJson.get("/users/bea/outbox")).json() as {
      totalItems: number;
      first: string;
    };
    const [count] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounters where author_id = ${beaActorId}::uuid
          and visibility = 'public' and deleted_at is null`,
    );
    expect(outbox.totalItems).toBe(count?.n);
    const seen: string[] = [];
    let next: string | undefined = outbox.first;
    for (let pages = 0; next && pages < 20; pages++) {
      const page = (await activityJson.get(next.replace(base, ""))).json() as {
        orderedItems?: Array<{ id: string }>;
        next?: string;
      };
      seen.push(...(page.orderedItems ?? []).map((a) => a.id));
      next = page.next;
    }
    expect(seen.length).toBe(count?.n);
    expect(new Set(seen).size).toBe(count?.n);
  });

  it("notifications: the HTML page's older link and the API's Link, each once", async () => {
    const html = await walkHtml(member, "/notifications", (body) =>
      Array.from(body.matchAll(/<li class="notification/g), (_, i) => `${body.length}-${i}`),
    );
    expect(html.length).toBe(30);
    const seen: string[] = [];
    let url: string | undefined = "/api/v1/notifications?limit=7";
    for (let pages = 0; url && pages < 20; pages++) {
      const response = await api.get(url);
      expect(response.statusCode).toBe(200);
      seen.push(...(response.json() as Array<{ id: string }>).map((n) => n.id));
      const link = nextLink(response);
      url = link ? new URL(link).pathname + new URL(link).search : undefined;
    }
    expect(seen.length).toBe(30);
    expect(new Set(seen).size).toBe(30);
  });
});
