import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../../support/app.ts";
import { databaseLabel } from "../../support/database.ts";
import { client, membersWithTokens } from "../helpers.ts";

/*
 * The Mastodon API of reports, blocks, mutes and a member's blocked domains, and the
 * moderators' `/api/v1/admin/reports`: Mastodon's shapes, clear 4xx for bad input.
 */
describe(`Mastodon API: reports, blocks and mutes (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let carl: ReturnType<typeof client>;
  let mo: ReturnType<typeof client>;
  let carlId: string;
  let statusId: string;

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "carl", "mo"]);
    await t.app.roles.setRole("mo", "moderator");
    bea = client(t.app, tokens.bea as string);
    carl = client(t.app, tokens.carl as string);
    mo = client(t.app, tokens.mo as string);
    const made = await t.app.encounters.create("carl", {
      text: "Au lavoir",
      participants: ["Paul"],
      visibility: "public",
    });
    statusId = made.id;
    carlId = made.authorId;
  });
  afterAll(() => t?.close());

  it("files a report (POST /api/v1/reports) in Mastodon's shape; bad input is a clear 4xx", async () => {
    const filed = await bea({
      method: "POST",
      url: "/api/v1/reports",
      payload: {
        account_id: carlId,
        status_ids: [statusId],
        comment: "Spam",
        category: "spam",
        forward: "true",
      },
    });
    expect(filed.statusCode).toBe(200);
    expect(filed.json()).toMatchObject({
      action_taken: false,
      category: "spam",
      comment: "Spam",
      forwarded: false,
      status_ids: [statusId],
      target_account: { id: carlId, username: "carl" },
    });
    const missing = await bea({ method: "POST", url: "/api/v1/reports", payload: {} });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error).toMatch(/account_id/);
    const unknown = await bea({
      method: "POST",
      url: "/api/v1/reports",
      payload: { account_id: "00000000-0000-4000-8000-000000000000" },
    });
    expect(unknown.statusCode).toBe(404);
    const long = await bea({
      method: "POST",
      url: "/api/v1/reports",
      payload: { account_id: carlId, comment: "x".repeat(1001) },
    });
    expect(long.statusCode).toBe(422);
  });

  it("blocks, mutes and unblocks accounts, with the relationship saying so", async () => {
    const blocked = await bea({ method: "POST", url: `/api/v1/accounts/${carlId}/block` });
    expect(blocked.statusCode).toBe(200);
    expect(blocked.json()).toMatchObject({ id: carlId, blocking: true, following: false });
    const muted = await bea({ method: "POST", url: `/api/v1/accounts/${carlId}/mute` });
    expect(muted.json()).toMatchObject({ blocking: true, muting: true });
    expect((await bea({ method: "GET", url: "/api/v1/blocks" })).json()).toMatchObject([
      { id: carlId },
    ]);
    expect((await bea({ method: "GET", url: "/api/v1/mutes" })).json()).toMatchObject([
      { id: carlId },
    ]);
    const seen = await carl({
      method: "GET",
      url: `/api/v1/accounts/relationships?id[]=${(await t.app.members.requireByUsername("bea")).actor.id}`,
    });
    expect(seen.json()).toMatchObject([{ blocked_by: true, blocking: false }]);
    await bea({ method: "POST", url: `/api/v1/accounts/${carlId}/unblock` });
    const after = await bea({ method: "POST", url: `/api/v1/accounts/${carlId}/unmute` });
    expect(after.json()).toMatchObject({ blocking: false, muting: false });
    expect(
      (await bea({ method: "POST", url: "/api/v1/accounts/not-an-id/block" })).statusCode,
    ).toBe(404);
  });

  it("keeps a member's blocked domains as a list of strings", async () => {
    const added = await bea({
      method: "POST",
      url: "/api/v1/domain_blocks",
      payload: { domain: "Spam.Example" },
    });
    expect(added.statusCode).toBe(200);
    expect((await bea({ method: "GET", url: "/api/v1/domain_blocks" })).json()).toEqual([
      "spam.example",
    ]);
    const bad = await bea({
      method: "POST",
      url: "/api/v1/domain_blocks",
      payload: { domain: "not a domain" },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatch(/example\.org/);
    await bea({ method: "DELETE", url: "/api/v1/domain_blocks?domain=spam.example" });
    expect((await bea({ method: "GET", url: "/api/v1/domain_blocks" })).json()).toEqual([]);
  });

  it("serves the report queue to moderators only, who resolve", async () => {
    expect((await bea({ method: "GET", url: "/api/v1/admin/reports" })).statusCode).toBe(403);
    const queue = await mo({ method: "GET", url: "/api/v1/admin/reports" });
    expect(queue.statusCode).toBe(200);
    const [report] = queue.json();
    expect(report).toMatchObject({ account: { username: "bea" }, target_account: { id: carlId } });
    const resolved = await mo({
      method: "POST",
      url: `/api/v1/admin/reports/${report.id}/resolve`,
    });
    expect(resolved.json()).toMatchObject({ id: report.id, action_taken: true });
    expect((await mo({ method: "GET", url: "/api/v1/admin/reports" })).json()).toEqual([]);
    expect(
      (await mo({ method: "POST", url: `/api/v1/admin/reports/${report.id}/resolve` })).statusCode,
    ).toBe(409);
    expect(
      (await bea({ method: "POST", url: `/api/v1/admin/reports/${report.id}/resolve` })).statusCode,
    ).toBe(403);
  });
});
