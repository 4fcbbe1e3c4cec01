import { createOAuthAPIClient, createRestAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solid } from "../../media/images.ts";
import { buildInstancePair, PAIR_PASSWORDS, type TestApp } from "../../support/app.ts";
import { databaseLabel } from "../../support/database.ts";
import { authorizeWithPkce } from "../../support/oauth.ts";
import { drainQueue } from "../../support/queue.ts";

/**
 * masto.js (what Elk uses) against two running instances on loopback, with real signed
 * federation between them. bea logs in on A as Elk does (an app, PKCE through the consent
 * form, the code exchanged), posts an encounter naming antoine@B with a described photo;
 * antoine (a CLI token on B) co-signs it with the boost button and bea sees the co-sign;
 * bea answers the weekly question by replying « oui 2 »; then her token is refreshed and
 * revoked.
 */
describe(`masto.js drives the Mastodon API (${databaseLabel})`, () => {
  const redirectUri = "org.example.elk://callback";
  let a: TestApp;
  let b: TestApp;
  let bHost: string;
  let app: mastodon.v1.Client;
  let token: mastodon.v1.Token & { refreshToken?: string };
  let bea: mastodon.rest.Client;
  let antoine: mastodon.rest.Client;
  let statusId: string;

  beforeAll(async () => {
    [a, b] = await buildInstancePair();
    bHost = b.app.urls.origin.host;
    // The token `npm run cli -- token create` makes (scopes read write follow).
    antoine = createRestAPIClient({
      url: b.baseUrl,
      accessToken: await b.app.members.createToken("antoine", "masto"),
    });
  });
  afterAll(async () => {
    if (a && b) await drainQueue(a.app, b.app);
    await Promise.all([a?.close(), b?.close()]);
  });

  it("registers an app, logs bea in with PKCE through the consent form and verifies her", async () => {
    app = await createRestAPIClient({ url: a.baseUrl }).v1.apps.create({
      clientName: "Masto flow",
      redirectUris: redirectUri,
      scopes: "read write follow",
    });
    const clientId = app.clientId as string;
    const { code, verifier } = await authorizeWithPkce(
      a.baseUrl,
      { clientId, redirectUri, scope: "read write follow" },
      { username: "bea", password: PAIR_PASSWORDS.bea },
    );
    token = await createOAuthAPIClient({ url: a.baseUrl }).token.create({
      grantType: "authorization_code",
      clientId,
      clientSecret: app.clientSecret as string,
      redirectUri,
      code,
      // masto passes extra parameters through, snake-cased: the PKCE verifier.
      ...{ codeVerifier: verifier },
    });
    expect(token.scope).toBe("read write follow");
    bea = createRestAPIClient({ url: a.baseUrl, accessToken: token.accessToken });
    const me = await bea.v1.accounts.verifyCredentials();
    expect(me).toMatchObject({ username: "bea", acct: "bea", source: { language: "fr" } });
    const instance = await bea.v2.instance.fetch();
    expect(instance.configuration.statuses.maxCharacters).toBe(280);
  });

  it("finds antoine@B, uploads a described photo and posts an encounter naming him", async () => {
    const found = await bea.v2.search.list({ q: b.app.urls.actor("antoine").href, resolve: true });
    expect(found.accounts.map((account) => account.acct)).toEqual([`antoine@${bHost}`]);
    const png = await solid(80, 60).png().toBuffer();
    const media = await bea.v2.media.create({
      file: new Blob([new Uint8Array(png)], { type: "image/png" }),
      description: "Antoine at the market stall",
    });
    expect(media.url).toMatch(/^http:\/\//);
    // A status naming nobody is refused; the error masto hands the app says how to name someone.
    await expect(
      bea.v1.statuses.create({ status: "Coffee", mediaIds: [media.id] }),
    ).rejects.toMatchObject({ statusCode: 422, message: expect.stringContaining("« avec Marie") });
    const status = await bea.v1.statuses.create({
      status: `Coffee with @antoine@${bHost} #BrightMirror`,
      mediaIds: [media.id],
      visibility: "public",
    });
    statusId = status.id;
    expect(status.mentions.map((m) => m.acct)).toEqual([`antoine@${bHost}`]);
    expect(status.mediaAttachments[0]?.description).toBe("Antoine at the market stall");
    expect(status.tags.map((tag) => tag.name)).toContain("Socialdapres");

    // Elk pages through the `Link` header, one status a page: the page after the last is
    // empty and carries no `Link` to follow, which ends the walk.
    const pages: string[][] = [];
    for await (const page of bea.v1.timelines.home.list({ limit: 1 })) {
      pages.push(page.map((s) => s.id));
      if (pages.length > 3) break;
    }
    expect(pages).toEqual([[statusId], []]);
  });

  it("antoine reads it in his notifications on B and co-signs it by reblogging", async () => {
    await drainQueue(a.app, b.app);
    const [mention] = await antoine.v1.notifications.list({ types: ["mention"] });
    expect(mention?.type).toBe("mention");
    expect(mention?.account?.acct).toBe(`bea@${a.app.urls.origin.host}`);
    const remoteStatus = mention?.status;
    expect(remoteStatus?.content).toContain("Coffee with");
    expect(remoteStatus?.mediaAttachments[0]?.description).toBe("Antoine at the market stall");

    const reblog = await antoine.v1.statuses.$select(remoteStatus?.id as string).reblog();
    expect(reblog.reblog?.id).toBe(remoteStatus?.id);
    expect(reblog.reblog?.reblogged).toBe(true);

    await drainQueue(a.app, b.app);
    const cosigned = await bea.v1.notifications.list({ types: ["reblog"] });
    expect(cosigned[0]).toMatchObject({
      type: "reblog",
      account: { acct: `antoine@${bHost}` },
      status: { id: statusId },
    });
    const status = await bea.v1.statuses.$select(statusId).fetch();
    expect(status.reblogsCount).toBe(1);
  });

  it("bea answers the weekly question by replying « oui 2 », and the week is recorded", async () => {
    const member = await a.app.members.findByUsername("bea");
    await a.app.notifications.notifyWeeklyQuestion(member?.id as string);
    const [question] = await bea.v1.notifications.list({ types: ["mention"] });
    expect(question).toMatchObject({
      account: { username: "instance" },
      status: { visibility: "direct" },
    });
    const reply = await bea.v1.statuses.create({
      status: "@instance oui 2",
      inReplyToId: question?.status?.id,
      visibility: "direct",
    });
    expect(reply.inReplyToId).toBe(question?.status?.id);
    expect(await a.app.weeklyQuestions.checkins(member?.id as string, 5)).toEqual([
      expect.objectContaining({ answer: "yes", count: 2, source: "api" }),
    ]);
  });

  it("refreshes bea's token, then revokes it: the revoked token is refused", async () => {
    const oauth = createOAuthAPIClient({ url: a.baseUrl });
    const client = { clientId: app.clientId as string, clientSecret: app.clientSecret as string };
    expect(token.refreshToken).toBeTruthy();
    // masto types no refresh grant, but sends what it is given, snake-cased.
    const refreshed = await oauth.token.create({
      grantType: "refresh_token",
      refreshToken: token.refreshToken,
      ...client,
    } as unknown as Parameters<typeof oauth.token.create>[0]);
    expect(refreshed.accessToken).not.toBe(token.accessToken);
    await expect(bea.v1.accounts.verifyCredentials()).rejects.toMatchObject({ statusCode: 401 });
    const renewed = createRestAPIClient({ url: a.baseUrl, accessToken: refreshed.accessToken });
    expect((await renewed.v1.accounts.verifyCredentials()).username).toBe("bea");

    await oauth.revoke({ ...client, token: refreshed.accessToken });
    await expect(renewed.v1.accounts.verifyCredentials()).rejects.toMatchObject({
      statusCode: 401,
    });
  });
});
