import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

const remoteInstance: RemoteActorRecord = {
  iri: "https://remote.example/actor",
  type: "Application",
  username: "remote.example",
  host: "remote.example",
  name: "",
  summary: "",
  url: null,
  inboxUrl: "https://remote.example/actor/inbox",
  sharedInboxUrl: "https://remote.example/inbox",
  followersUrl: null,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
};

describe(`reports (${databaseLabel})`, () => {
  let t: TestApp;
  let carlsEncounter: string;
  const actorOf = async (username: string) =>
    (await t.app.members.requireByUsername(username)).actor;

  beforeAll(async () => {
    t = await buildTestApp();
    for (const username of ["bea", "carl", "dora"]) {
      await t.app.members.create({ username, password: `${username}-password-123` });
    }
    const bea = await actorOf("bea");
    carlsEncounter = (
      await t.app.encounters.create("carl", {
        text: "Avec Béa, sans lui demander",
        participants: [bea.iri],
        visibility: "participants",
      })
    ).id;
  });
  afterAll(() => t?.close());

  it("files a member's report of an account or an encounter they can read, with clear refusals", async () => {
    const carl = await actorOf("carl");
    const report = await t.app.reports.file("dora", {
      accountId: carl.id,
      category: "spam",
      comment: "  Pub  ",
      forward: true,
    });
    // carl is ours: nothing is forwarded.
    expect(report).toMatchObject({ comment: "Pub", forwarded: false, state: "open" });
    expect(report.target.id).toBe(carl.id);
    // dora is not named in carl's encounter for participants: as if it did not exist.
    await expect(
      t.app.reports.file("dora", { encounterId: carlsEncounter, category: "abuse" }),
    ).rejects.toMatchObject({ code: "not_found" });
    await expect(
      t.app.reports.file("dora", {
        accountId: carl.id,
        category: "spam",
        comment: "x".repeat(1001),
      }),
    ).rejects.toThrow(/1000 characters at most/);
    await expect(t.app.reports.file("dora", { category: "spam" })).rejects.toThrow(/names nothing/);
    await expect(
      t.app.reports.file("carl", { accountId: carl.id, category: "other" }),
    ).rejects.toThrow(/yourself/);
  });

  it("\"I don't want to be in this\": declined, off the member's home, and reported", async () => {
    const bea = await actorOf("bea");
    expect((await t.app.access.home(bea.id, { limit: 10 })).map((e) => e.id)).toContain(
      carlsEncounter,
    );
    const report = await t.app.reports.refuseNaming("bea", carlsEncounter);
    expect(report).toMatchObject({
      category: "unwanted-naming",
      encounter: { id: carlsEncounter },
      target: { id: (await actorOf("carl")).id },
    });
    const after = await t.app.encounterRepository.findById(carlsEncounter);
    expect(after?.participants[0]).toMatchObject({ cosignState: "declined", hidden: true });
    expect((await t.app.access.home(bea.id, { limit: 10 })).map((e) => e.id)).not.toContain(
      carlsEncounter,
    );
    await expect(t.app.reports.refuseNaming("dora", carlsEncounter)).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("a Flag becomes a report about the member it names, once; one naming nothing of ours is dropped", async () => {
    const bea = await actorOf("bea");
    const encounter = await t.app.encounterRepository.findById(carlsEncounter);
    const flag = {
      reporter: remoteInstance,
      content: "Harcèlement",
      activityIri: "https://remote.example/flags/1",
    };
    expect(
      await t.app.reports.receiveFlag({
        ...flag,
        objectIris: ["https://elsewhere.example/users/x"],
      }),
    ).toMatchObject({ status: "ignored" });
    const filed = await t.app.reports.receiveFlag({
      ...flag,
      objectIris: [encounter?.author.iri ?? "", encounter?.iri ?? "", bea.iri],
    });
    expect(filed.status).toBe("filed");
    const again = await t.app.reports.receiveFlag({ ...flag, objectIris: [bea.iri] });
    expect(again).toMatchObject({ status: "unchanged" });
    const report = await t.app.reports.get((filed as { reportId: string }).reportId);
    expect(report).toMatchObject({
      comment: "Harcèlement",
      forwarded: true,
      category: "other",
      reporter: { iri: remoteInstance.iri },
      target: { username: "carl" },
      encounter: { id: carlsEncounter },
    });
  });

  it("the queue lists open reports first; resolving records the action once", async () => {
    const { app } = t;
    const reports = app.reports;
    const open = await reports.list({ limit: 50 });
    expect(open.length).toBe(3);
    const [first] = open;
    const moderator = (await app.members.findByUsername("dora"))?.id ?? null;
    const done = await reports.resolve(first?.id ?? "", {
      moderatorId: moderator,
      via: "web",
      note: "Averti",
    });
    expect(done).toMatchObject({
      state: "resolved",
      resolutionNote: "Averti",
      resolverUsername: "dora",
    });
    // Recorded once, in the audit log, with who resolved it and the note.
    const audit = await app.auditLog.listFor("report", first?.id ?? "", 10);
    expect(audit).toMatchObject([
      {
        moderatorId: moderator,
        moderatorUsername: "dora",
        via: "web",
        action: "report.resolve",
        subjectKind: "report",
        subject: first?.id,
        reason: "Averti",
      },
    ]);
    await expect(
      reports.resolve(first?.id ?? "", { moderatorId: null, via: "cli" }),
    ).rejects.toMatchObject({
      code: "conflict",
    });
    expect(await app.auditLog.listFor("report", first?.id ?? "", 10)).toHaveLength(1);
    expect(await reports.list({ limit: 50 })).toHaveLength(2);
    const all = await reports.list({ all: true, limit: 50 });
    expect(all.map((r) => r.state)).toEqual(["open", "open", "resolved"]);
    await expect(reports.get("not-a-uuid")).rejects.toMatchObject({ code: "not_found" });
  });
});
