import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solid } from "../../media/images.ts";
import { buildTestApp, type TestApp } from "../../support/app.ts";
import { databaseLabel } from "../../support/database.ts";
import { client, membersWithTokens, multipart } from "../helpers.ts";

type Json = Record<string, unknown> & { id: string };

describe(`Mastodon API: statuses are encounters (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;
  let jo: ReturnType<typeof client>;

  const form = (fields: string) => ({
    headers: { "content-type": "application/x-www-form-urlencoded" },
    payload: fields,
  });

  async function upload(send: ReturnType<typeof client>, description?: string) {
    const data = new FormData();
    data.append(
      "file",
      new Blob([new Uint8Array(await solid(64, 48).png().toBuffer())], { type: "image/png" }),
      "p.png",
    );
    if (description !== undefined) data.append("description", description);
    const response = await send({
      method: "POST",
      url: "/api/v2/media",
      ...(await multipart(data)),
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as Json & { url: string; description: string | null };
  }

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "antoine", "jo"]);
    bea = client(t.app, tokens.bea as string);
    antoine = client(t.app, tokens.antoine as string);
    jo = client(t.app, tokens.jo as string);
    await t.app.database.rows(sql`update members set language = 'en' where username = 'jo'`);
  });
  afterAll(() => t?.close());

  it("a form with media_ids[]: mentions are participants, hashtags keywords, the photo described", async () => {
    const media = await upload(bea);
    expect(media.description).toBeNull();
    const described = await bea({
      method: "PUT",
      url: `/api/v1/media/${media.id}`,
      payload: { description: "Antoine laughing at the market" },
    });
    expect(described.json().description).toBe("Antoine laughing at the market");
    const response = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      ...form(
        `status=${encodeURIComponent("Coffee with @antoine at the market #BrightMirror\navec Marie, Paul")}&media_ids[]=${media.id}&visibility=public`,
      ),
    });
    expect(response.statusCode, response.body).toBe(200);
    const status = response.json();
    expect(status).toMatchObject({
      visibility: "public",
      in_reply_to_id: null,
      account: { username: "bea" },
      mentions: [{ username: "antoine", acct: "antoine" }],
      media_attachments: [
        { type: "image", description: "Antoine laughing at the market", url: media.url },
      ],
    });
    expect(status.tags.map((tag: { name: string }) => tag.name)).toEqual([
      "Socialdapres",
      "BrightMirror",
    ]);
    expect(status.content).toContain("Marie");
    expect(status.content).toContain("Paul");
    const view = await t.app.encounters.getOwn("bea", status.id);
    expect(view.participants.map((p) => p.plainName ?? p.actor?.username)).toEqual([
      "antoine",
      "Marie",
      "Paul",
    ]);
    expect(view.keywords).toEqual(["BrightMirror"]);
    expect(view.photo?.alt).toBe("Antoine laughing at the market");
    // Taken once: a second post with the same media is refused.
    const again = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "Again with @antoine", media_ids: [media.id] },
    });
    expect(again.statusCode).toBe(422);
  });

  it("refuses a photo without a description, and a status naming nobody, in the member's language", async () => {
    const media = await upload(bea);
    const undescribed = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "Lunch with @antoine", media_ids: [media.id] },
    });
    expect(undescribed.statusCode).toBe(422);
    expect(undescribed.json().error).toMatch(/Décris la photo/);
    const nobody = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "Nice day" },
    });
    expect(nobody.statusCode).toBe(422);
    expect(nobody.json().error).toMatch(/avec Marie, Paul/);
    const nobodyEn = await jo({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "Nice day" },
    });
    expect(nobodyEn.statusCode).toBe(422);
    expect(nobodyEn.json().error).toMatch(/with Marie, Paul/);
    const bad = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { visibility: "loud" },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toEqual({ error: expect.any(String) });
  });

  it("honours Idempotency-Key; direct naming no account is a private tracker entry", async () => {
    const send = () =>
      bea({
        method: "POST",
        url: "/api/v1/statuses",
        headers: { "idempotency-key": "abc-123" },
        payload: { status: "Tea\nwith Léa", visibility: "direct" },
      });
    const first = await send();
    const second = await send();
    expect(first.statusCode, first.body).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    const view = await t.app.encounters.getOwn("bea", first.json().id);
    expect(view.visibility).toBe("private");
    expect(first.json().visibility).toBe("direct");
    const followersOnly = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "Walk with @jo", visibility: "private" },
    });
    expect((await t.app.encounters.getOwn("bea", followersOnly.json().id)).visibility).toBe(
      "followers",
    );
  });

  it("reads, edits (source, history), replies in context, likes, co-signs by reblog and deletes", async () => {
    const created = (
      await bea({
        method: "POST",
        url: "/api/v1/statuses",
        payload: { status: "Met @antoine at the fair #Fair\nwith Marie" },
      })
    ).json();
    const anonymous = await t.app.http.inject({
      method: "GET",
      url: `/api/v1/statuses/${created.id}`,
    });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json().favourited).toBe(false);

    const source = (
      await bea({ method: "GET", url: `/api/v1/statuses/${created.id}/source` })
    ).json();
    expect(source.text).toBe("Met @antoine at the fair #Fair\navec Marie");
    const edited = await bea({
      method: "PUT",
      url: `/api/v1/statuses/${created.id}`,
      payload: { status: "Met @antoine at the big fair #Fair\navec Marie" },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json().edited_at).toMatch(/\.\d{3}Z$/);
    const history = (
      await bea({ method: "GET", url: `/api/v1/statuses/${created.id}/history` })
    ).json();
    expect(history).toHaveLength(1);
    expect(history[0].content).toContain("big fair");

    const reply = await antoine({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "What a day!", in_reply_to_id: created.id },
    });
    expect(reply.statusCode, reply.body).toBe(200);
    expect(reply.json()).toMatchObject({
      in_reply_to_id: created.id,
      account: { username: "antoine" },
    });
    const context = (
      await bea({ method: "GET", url: `/api/v1/statuses/${created.id}/context` })
    ).json();
    expect(context.ancestors).toEqual([]);
    expect(context.descendants.map((s: Json) => s.id)).toEqual([reply.json().id]);

    const liked = await jo({ method: "POST", url: `/api/v1/statuses/${created.id}/favourite` });
    expect(liked.json()).toMatchObject({ favourited: true, favourites_count: 1 });
    const likers = (
      await bea({ method: "GET", url: `/api/v1/statuses/${created.id}/favourited_by` })
    ).json();
    expect(likers.map((a: Json) => a.username)).toEqual(["jo"]);

    const notNamed = await jo({ method: "POST", url: `/api/v1/statuses/${created.id}/reblog` });
    expect(notNamed.statusCode).toBe(422);
    const reblog = await antoine({ method: "POST", url: `/api/v1/statuses/${created.id}/reblog` });
    expect(reblog.statusCode, reblog.body).toBe(200);
    expect(reblog.json()).toMatchObject({
      account: { username: "antoine" },
      reblog: { id: created.id, reblogged: true, reblogs_count: 1 },
    });
    const by = (
      await jo({ method: "GET", url: `/api/v1/statuses/${created.id}/reblogged_by` })
    ).json();
    expect(by.map((a: Json) => a.username)).toEqual(["antoine"]);
    const notifications = (
      await bea({ method: "GET", url: "/api/v1/notifications?types[]=reblog" })
    ).json();
    expect(notifications).toEqual([
      expect.objectContaining({
        type: "reblog",
        account: expect.objectContaining({ username: "antoine" }),
      }),
    ]);
    const mentions = (
      await antoine({ method: "GET", url: "/api/v1/notifications?exclude_types[]=reblog" })
    ).json();
    expect(mentions.map((n: Json) => [n.type, (n.status as Json).id])).toContainEqual([
      "mention",
      created.id,
    ]);

    const deleted = await bea({ method: "DELETE", url: `/api/v1/statuses/${created.id}` });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json().text).toContain("big fair");
    expect((await bea({ method: "GET", url: `/api/v1/statuses/${created.id}` })).statusCode).toBe(
      404,
    );
  });

  it("home, public and tag timelines page with Link headers", async () => {
    for (let i = 0; i < 3; i++) {
      await bea({
        method: "POST",
        url: "/api/v1/statuses",
        payload: { status: `Walk ${i} #Paging\nwith Zoé` },
      });
    }
    const first = await bea({ method: "GET", url: "/api/v1/timelines/tag/Paging?limit=2" });
    expect(first.json()).toHaveLength(2);
    const link = String(first.headers.link);
    expect(link).toMatch(/max_id=[0-9a-f-]{36}>; rel="next"/);
    const next = new URL(/<([^>]+)>; rel="next"/.exec(link)?.[1] as string);
    const second = await bea({ method: "GET", url: `${next.pathname}${next.search}` });
    expect(second.json()).toHaveLength(1);
    const all = [...first.json(), ...second.json()].map((s: Json) => s.content as string);
    expect(all.some((c) => c.includes("Walk 0"))).toBe(true);
    const home = await antoine({ method: "GET", url: "/api/v1/timelines/home" });
    expect(home.statusCode).toBe(200);
    const local = await t.app.http.inject({
      method: "GET",
      url: "/api/v1/timelines/public?local=true",
    });
    expect(local.json().length).toBeGreaterThanOrEqual(3);
  });

  it("direct to someone named is a conversation for both", async () => {
    const direct = await bea({
      method: "POST",
      url: "/api/v1/statuses",
      payload: { status: "Just between us, @antoine", visibility: "direct" },
    });
    expect(direct.json().visibility).toBe("direct");
    const conversations = (await antoine({ method: "GET", url: "/api/v1/conversations" })).json();
    expect(conversations).toEqual([
      expect.objectContaining({
        id: direct.json().id,
        unread: false,
        accounts: [expect.objectContaining({ username: "bea" })],
        last_status: expect.objectContaining({ id: direct.json().id }),
      }),
    ]);
    const jos = (await jo({ method: "GET", url: "/api/v1/conversations" })).json();
    expect(jos).toEqual([]);
  });

  it("never puts a private tracker field in any entity", async () => {
    const created = (
      await bea({
        method: "POST",
        url: "/api/v1/statuses",
        payload: { status: "Dinner with @antoine" },
      })
    ).json();
    await t.app.privateFields.setPrivateFields("bea", created.id, {
      othersPresent: 17,
      durationMinutes: 413,
      circles: [{ position: 0, circle: "intimate" }],
    });
    const bodies = await Promise.all(
      [
        `/api/v1/statuses/${created.id}`,
        `/api/v1/statuses/${created.id}/context`,
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/accounts/verify_credentials",
      ].map(async (url) => (await bea({ method: "GET", url })).body),
    );
    bodies.push((await antoine({ method: "GET", url: "/api/v1/notifications" })).body);
    for (const body of bodies) {
      expect(body).not.toMatch(
        /intimate|othersPresent|others_present|durationMinutes|duration|circle|[:\s]413[,}\]]/,
      );
    }
  });
});
