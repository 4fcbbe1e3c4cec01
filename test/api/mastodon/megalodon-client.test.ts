import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Mastodon } from "megalodon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solid } from "../../media/images.ts";
import { buildInstancePair, PAIR_PASSWORDS, type TestApp } from "../../support/app.ts";
import { databaseLabel } from "../../support/database.ts";
import { authorizeWithPkce } from "../../support/oauth.ts";
import { drainQueue } from "../../support/queue.ts";

/**
 * megalodon (Whalebird and other apps) against two running instances on loopback, with real
 * signed federation between them: the flow of masto-client.test.ts through megalodon's API.
 * megalodon sends no PKCE verifier and its Mastodon adapter drops `refresh_token`, so the
 * code is exchanged as an app using PKCE does, over HTTP; everything else goes through
 * megalodon, the refresh and the revocation included.
 */
describe(`megalodon drives the Mastodon API (${databaseLabel})`, () => {
  let a: TestApp;
  let b: TestApp;
  let bHost: string;
  let app: { client_id: string; client_secret: string; redirect_uri: string | null };
  let token: { access_token: string; refresh_token: string; scope: string };
  let bea: Mastodon;
  let antoine: Mastodon;
  let statusId: string;
  let photoDir: string;

  beforeAll(async () => {
    [a, b] = await buildInstancePair();
    bHost = b.app.urls.origin.host;
    // The token `npm run cli -- token create` makes (scopes read write follow).
    antoine = new Mastodon(b.baseUrl, await b.app.members.createToken("antoine", "megalodon"));
    photoDir = await mkdtemp(join(tmpdir(), "megalodon-"));
  });
  afterAll(async () => {
    if (a && b) await drainQueue(a.app, b.app);
    await Promise.all([a?.close(), b?.close(), photoDir && rm(photoDir, { recursive: true })]);
  });

  it("registers an app, logs bea in with PKCE through the consent form and verifies her", async () => {
    app = await new Mastodon(a.baseUrl).registerApp("Megalodon flow", {
      scopes: ["read", "write", "follow"],
      redirect_uris: "org.example.whalebird://callback",
    });
    const { code, verifier } = await authorizeWithPkce(
      a.baseUrl,
      {
        clientId: app.client_id,
        redirectUri: app.redirect_uri as string,
        scope: "read write follow",
      },
      { username: "bea", password: PAIR_PASSWORDS.bea },
    );
    const answer = await fetch(`${a.baseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: app.redirect_uri,
        client_id: app.client_id,
        client_secret: app.client_secret,
      }),
    });
    expect(answer.status).toBe(200);
    token = (await answer.json()) as typeof token;
    expect(token.scope).toBe("read write follow");
    bea = new Mastodon(a.baseUrl, token.access_token);
    expect((await bea.verifyAppCredentials()).data.name).toBe("Megalodon flow");
    const me = (await bea.verifyAccountCredentials()).data;
    expect(me).toMatchObject({ username: "bea", acct: "bea", source: { language: "fr" } });
    const instance = (await bea.getInstance()).data;
    expect(instance.configuration.statuses.max_characters).toBe(280);
  });

  it("finds antoine@B, uploads a described photo and posts an encounter naming him", async () => {
    const found = await bea.search(b.app.urls.actor("antoine").href, {
      type: "accounts",
      resolve: true,
    });
    expect(found.data.accounts.map((account) => account.acct)).toEqual([`antoine@${bHost}`]);
    // As an app on Node does: a file stream, named, so the part is a file.
    const photo = join(photoDir, "stall.png");
    await writeFile(photo, await solid(80, 60).png().toBuffer());
    const media = (
      await bea.uploadMedia(createReadStream(photo), { description: "Antoine at the market stall" })
    ).data;
    // A status naming nobody is refused; the error megalodon hands the app says how to name someone.
    await expect(bea.postStatus("Coffee", { media_ids: [media.id] })).rejects.toMatchObject({
      response: { status: 422, data: { error: expect.stringContaining("« avec Marie") } },
    });
    const status = (
      await bea.postStatus(`Coffee with @antoine@${bHost} #BrightMirror`, {
        media_ids: [media.id],
        visibility: "public",
      })
    ).data as { id: string; mentions: Array<{ acct: string }> } & Record<string, unknown>;
    statusId = status.id;
    expect(status.mentions.map((m) => m.acct)).toEqual([`antoine@${bHost}`]);
    expect(status).toMatchObject({
      media_attachments: [{ description: "Antoine at the market stall" }],
      tags: expect.arrayContaining([expect.objectContaining({ name: "Socialdapres" })]),
    });

    const home = (await bea.getHomeTimeline()).data;
    expect(home.map((s) => s.id)).toContain(statusId);
  });

  it("antoine reads it in his notifications on B and co-signs it by reblogging", async () => {
    await drainQueue(a.app, b.app);
    const notifications = (await antoine.getNotifications()).data;
    const mention = notifications.find((n) => n.type === "mention");
    expect(mention?.account?.acct).toBe(`bea@${a.app.urls.origin.host}`);
    const remoteStatus = mention?.status;
    expect(remoteStatus?.content).toContain("Coffee with");
    expect(remoteStatus?.media_attachments[0]?.description).toBe("Antoine at the market stall");

    const reblog = (await antoine.reblogStatus(remoteStatus?.id as string)).data;
    expect(reblog.reblog?.id).toBe(remoteStatus?.id);
    expect(reblog.reblog?.reblogged).toBe(true);

    await drainQueue(a.app, b.app);
    const cosigned = (await bea.getNotifications({ exclude_types: ["mention"] })).data;
    expect(cosigned[0]).toMatchObject({
      type: "reblog",
      account: { acct: `antoine@${bHost}` },
      status: { id: statusId },
    });
    expect((await bea.getStatus(statusId)).data.reblogs_count).toBe(1);
  });

  it("bea answers the weekly question by replying « oui 2 », and the week is recorded", async () => {
    const member = await a.app.members.findByUsername("bea");
    await a.app.notifications.notifyWeeklyQuestion(member?.id as string);
    const question = (await bea.getNotifications({ exclude_types: ["reblog"] })).data[0];
    expect(question).toMatchObject({
      type: "mention",
      account: { username: "instance" },
      status: { visibility: "direct" },
    });
    const reply = (
      await bea.postStatus("@instance oui 2", {
        in_reply_to_id: question?.status?.id,
        visibility: "direct",
      })
    ).data as { in_reply_to_id: string | null };
    expect(reply.in_reply_to_id).toBe(question?.status?.id);
    expect(await a.app.weeklyQuestions.checkins(member?.id as string, 5)).toEqual([
      expect.objectContaining({ answer: "yes", count: 2, source: "api" }),
    ]);
  });

  it("refreshes bea's token, then revokes it: the revoked token is refused", async () => {
    const anonymous = new Mastodon(a.baseUrl);
    const refreshed = await anonymous.refreshToken(
      app.client_id,
      app.client_secret,
      token.refresh_token,
    );
    expect(refreshed.access_token).not.toBe(token.access_token);
    await expect(bea.verifyAccountCredentials()).rejects.toMatchObject({
      response: { status: 401 },
    });
    const renewed = new Mastodon(a.baseUrl, refreshed.access_token);
    expect((await renewed.verifyAccountCredentials()).data.username).toBe("bea");

    await anonymous.revokeToken(app.client_id, app.client_secret, refreshed.access_token);
    await expect(renewed.verifyAccountCredentials()).rejects.toMatchObject({
      response: { status: 401 },
    });
  });
});
