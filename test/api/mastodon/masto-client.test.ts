import { createRestAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solid } from "../../media/images.ts";
import { buildTestApp, type TestApp } from "../../support/app.ts";
import { databaseLabel } from "../../support/database.ts";
import { eventually } from "../../support/eventually.ts";
import { drainQueue } from "../../support/queue.ts";

/**
 * masto.js (what Elk uses) against two running instances on loopback, with real signed
 * federation between them: bea@A posts an encounter naming antoine@B with a described photo;
 * antoine reads it in his notifications on B and co-signs it with the boost button; bea sees
 * the co-sign as a reblog notification on A.
 */
describe(`masto.js drives the Mastodon API (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bea: mastodon.rest.Client;
  let antoine: mastodon.rest.Client;
  let statusId: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ listen: true }), buildTestApp({ listen: true })]);
    await Promise.all([
      a.app.members.create({ username: "bea", password: "bea-password-123" }),
      b.app.members.create({ username: "antoine", password: "antoine-password-1" }),
    ]);
    // The tokens `npm run cli -- token create` makes (scopes read write follow).
    bea = createRestAPIClient({
      url: a.baseUrl,
      accessToken: await a.app.members.createToken("bea", "masto"),
    });
    antoine = createRestAPIClient({
      url: b.baseUrl,
      accessToken: await b.app.members.createToken("antoine", "masto"),
    });
  });
  afterAll(async () => {
    if (a && b) await drainQueue(a.app, b.app);
    await Promise.all([a?.close(), b?.close()]);
  });

  it("verifies credentials and reads the instance", async () => {
    const me = await bea.v1.accounts.verifyCredentials();
    expect(me).toMatchObject({ username: "bea", acct: "bea", source: { language: "fr" } });
    const instance = await bea.v2.instance.fetch();
    expect(instance.configuration.statuses.maxCharacters).toBe(280);
  });

  it("finds antoine@B, uploads a described photo and posts an encounter naming him", async () => {
    const antoineUrl = b.app.urls.actor("antoine").href;
    const found = await bea.v2.search.list({ q: antoineUrl, resolve: true });
    expect(found.accounts.map((account) => account.acct)).toEqual([
      `antoine@${b.app.urls.origin.host}`,
    ]);
    const png = await solid(80, 60).png().toBuffer();
    const media = await bea.v2.media.create({
      file: new Blob([new Uint8Array(png)], { type: "image/png" }),
      description: "Antoine at the market stall",
    });
    expect(media.url).toMatch(/^http:\/\//);
    const status = await bea.v1.statuses.create({
      status: `Coffee with @antoine@${b.app.urls.origin.host} #BrightMirror`,
      mediaIds: [media.id],
      visibility: "public",
    });
    statusId = status.id;
    expect(status.mentions.map((m) => m.acct)).toEqual([`antoine@${b.app.urls.origin.host}`]);
    expect(status.mediaAttachments[0]?.description).toBe("Antoine at the market stall");
    expect(status.tags.map((tag) => tag.name)).toContain("Socialdapres");

    const home = await bea.v1.timelines.home.list();
    expect(home.map((s) => s.id)).toContain(statusId);
  });

  it("antoine reads it in his notifications on B and co-signs it by reblogging", async () => {
    await drainQueue(a.app, b.app);
    const notifications = await eventually(
      async () => {
        const list = await antoine.v1.notifications.list({ types: ["mention"] });
        return list.length > 0 ? list : undefined;
      },
      { what: "antoine's mention notification on B" },
    );
    const mention = notifications[0];
    expect(mention?.type).toBe("mention");
    expect(mention?.account?.acct).toBe(`bea@${a.app.urls.origin.host}`);
    const remoteStatus = mention?.status;
    expect(remoteStatus?.content).toContain("Coffee with");
    expect(remoteStatus?.mediaAttachments[0]?.description).toBe("Antoine at the market stall");

    const reblog = await antoine.v1.statuses.$select(remoteStatus?.id as string).reblog();
    expect(reblog.reblog?.id).toBe(remoteStatus?.id);
    expect(reblog.reblog?.reblogged).toBe(true);

    await drainQueue(a.app, b.app);
    const cosigned = await eventually(
      async () => {
        const list = await bea.v1.notifications.list({ types: ["reblog"] });
        return list.length > 0 ? list : undefined;
      },
      { what: "bea's reblog notification on A" },
    );
    expect(cosigned[0]).toMatchObject({
      type: "reblog",
      account: { acct: `antoine@${b.app.urls.origin.host}` },
      status: { id: statusId },
    });
    const status = await bea.v1.statuses.$select(statusId).fetch();
    expect(status.reblogsCount).toBe(1);
  });
});
