import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../src/accounts/passwords.ts";
import type { RemoteActorRecord } from "../src/actors/actors-repository.ts";
import type { App } from "../src/app.ts";
import { exportFileName, USAGE } from "../src/cli/commands.ts";
import { buildTestApp, type TestApp } from "./support/app.ts";
import { type CliRun, runCli } from "./support/cli.ts";
import { databaseLabel } from "./support/database.ts";

type Run = CliRun;

const fan: RemoteActorRecord = {
  iri: "https://mastodon.example/users/fan",
  type: "Person",
  username: "fan",
  host: "mastodon.example",
  name: "A fan",
  summary: "",
  url: "https://mastodon.example/@fan",
  inboxUrl: "https://mastodon.example/users/fan/inbox",
  sharedInboxUrl: "https://mastodon.example/inbox",
  followersUrl: "https://mastodon.example/users/fan/followers",
  avatarUrl: null,
  manuallyApprovesFollowers: false,
};

describe(`CLI commands (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;
  let host: string;

  const run = (argv: string[], stdin?: string): Promise<Run> => runCli(app, argv, stdin);

  async function passwordHashOf(username: string): Promise<string> {
    const member = await app.members.findByUsername(username);
    if (!member) throw new Error(`no member ${username}`);
    return member.passwordHash;
  }

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    host = new URL(testApp.baseUrl).host;
  });
  afterAll(() => testApp?.close());

  describe("user create", () => {
    it("uses the password piped on stdin and prints no password", async () => {
      const result = await run(
        ["user", "create", "Alice", "--display-name", "Alice Dupont"],
        "piped-password-42\n",
      );
      expect(result).toEqual({
        code: 0,
        out: [`Created @alice@${host} (${testApp.baseUrl}/users/alice)`],
        err: [],
      });
      const alice = await app.members.findByUsername("alice");
      expect(alice?.displayName).toBe("Alice Dupont");
      expect(await verifyPassword("piped-password-42", alice?.passwordHash as string)).toBe(true);
    });

    it("reads only the first line of stdin, whatever the line ending", async () => {
      const result = await run(["user", "create", "dora"], "dora-password-1\r\nsecond line\r\n");
      expect(result.code).toBe(0);
      expect(result.out.join("\n")).not.toContain("Password");
      expect(await verifyPassword("dora-password-1", await passwordHashOf("dora"))).toBe(true);
    });

    it("generates a password when nothing is piped, prints it once, and it verifies", async () => {
      const result = await run(["user", "create", "gen"]);
      expect(result.code).toBe(0);
      expect(result.err).toEqual([]);
      const passwordLines = result.out.filter((line) => line.startsWith("Password"));
      expect(passwordLines).toHaveLength(1);
      const password = /^Password \(shown once\): (\S+)$/.exec(passwordLines[0] as string)?.[1];
      expect(password).toBeDefined();
      expect(result.out.join("\n").split(password as string)).toHaveLength(2);
      expect(await verifyPassword(password as string, await passwordHashOf("gen"))).toBe(true);
      // The database never holds it in clear.
      const rows = await app.database.rows(sql`select * from members`);
      expect(JSON.stringify(rows)).not.toContain(password);
    });

    it("treats an empty stdin as nothing piped", async () => {
      const result = await run(["user", "create", "empty"], "\n");
      expect(result.code).toBe(0);
      expect(result.out.some((line) => line.startsWith("Password (shown once): "))).toBe(true);
    });

    it("refuses a taken username, in any case, with exit code 1 and a clear message", async () => {
      const before = await app.members.count();
      const result = await run(["user", "create", "ALICE"], "another-password\n");
      expect(result.code).toBe(1);
      expect(result.out).toEqual([]);
      expect(result.err).toEqual(['Username "alice" is already taken.']);
      expect(await app.members.count()).toBe(before);
    });

    it.each([
      ["a bad username", ["user", "create", "bad.name"], /not valid/],
      ["a reserved username", ["user", "create", "admin"], /reserved/],
      ["a missing username", ["user", "create"], /Usage: .*user create <username>/],
    ])("refuses %s with exit code 1", async (_label, argv, message) => {
      const before = await app.members.count();
      const result = await run(argv, "long-enough-password\n");
      expect(result.code).toBe(1);
      expect(result.out).toEqual([]);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toMatch(message);
      expect(await app.members.count()).toBe(before);
    });

    it("refuses a piped password that is too short", async () => {
      const result = await run(["user", "create", "shortpw"], "short\n");
      expect(result.code).toBe(1);
      expect(result.err[0]).toMatch(/Password must be/);
      expect(await app.members.findByUsername("shortpw")).toBeUndefined();
    });

    it("accepts flags before the username", async () => {
      const result = await run(["user", "create", "--manual-approval", "shy"], "shy-password-1\n");
      expect(result.code).toBe(0);
      expect((await app.members.findByUsername("shy"))?.manuallyApprovesFollowers).toBe(true);
    });
  });

  describe("user password", () => {
    const sessionsOf = async (username: string) =>
      (
        await app.database.rows<{ n: number }>(
          sql`select count(*)::int as n from web_sessions s join members m on m.id = s.member_id where m.username = ${username}`,
        )
      )[0]?.n ?? 0;

    it("prints a new random password once, and ends the member's web sessions", async () => {
      await app.members.create({ username: "forgetful", password: "forgotten-password-1" });
      const member = await app.members.findByUsername("forgetful");
      await app.repositories.webSessions.create(member?.id as string, "Firefox");
      await app.repositories.webSessions.create(member?.id as string, "Safari");
      const result = await run(["user", "password", "Forgetful"]);
      expect(result.code).toBe(0);
      expect(result.err).toEqual([]);
      expect(result.out[0]).toBe("New password for @forgetful; 2 web sessions ended.");
      const password = /^Password \(shown once\): (\S+)$/.exec(result.out[1] as string)?.[1];
      expect(password).toBeDefined();
      expect(await verifyPassword(password as string, await passwordHashOf("forgetful"))).toBe(
        true,
      );
      expect(await verifyPassword("forgotten-password-1", await passwordHashOf("forgetful"))).toBe(
        false,
      );
      expect(await sessionsOf("forgetful")).toBe(0);
    });

    it("reads the new password from stdin with --stdin, and prints none", async () => {
      const result = await run(["user", "password", "forgetful", "--stdin"], "chosen-password-1\n");
      expect(result).toEqual({
        code: 0,
        out: ["New password for @forgetful; 0 web sessions ended."],
        err: [],
      });
      expect(await verifyPassword("chosen-password-1", await passwordHashOf("forgetful"))).toBe(
        true,
      );
    });

    it.each([
      [
        "nothing piped with --stdin",
        ["user", "password", "forgetful", "--stdin"],
        "",
        /pipe it in/,
      ],
      [
        "a short password",
        ["user", "password", "forgetful", "--stdin"],
        "short\n",
        /Password must be/,
      ],
      ["an unknown member", ["user", "password", "nobody"], undefined, /No member named "nobody"/],
      ["no username", ["user", "password"], undefined, /Usage: .*user password <username>/],
    ])("refuses %s with exit code 1", async (_label, argv, stdin, message) => {
      const before = await passwordHashOf("forgetful");
      const result = await run(argv, stdin);
      expect(result.code).toBe(1);
      expect(result.err[0]).toMatch(message);
      expect(await passwordHashOf("forgetful")).toBe(before);
    });

    it("is in the usage", () => {
      expect(USAGE).toContain("user password <username> [--stdin]");
    });
  });

  describe("user list", () => {
    it("lists every member, oldest first, with handle, name, actor IRI and role", async () => {
      const result = await run(["user", "list"]);
      expect(result.code).toBe(0);
      const members = await app.members.list(100);
      expect(members.length).toBeGreaterThanOrEqual(4);
      expect(result.out).toEqual(
        members.map(
          (m) =>
            `@${m.username}\t${m.displayName}\t${testApp.baseUrl}/users/${m.username}\t${m.role}`,
        ),
      );
      expect(result.out[0]).toBe(`@alice\tAlice Dupont\t${testApp.baseUrl}/users/alice\tmember`);
    });

    it("lists members who chose not to be discoverable too", async () => {
      await app.database.rows(sql`update members set discoverable = false where username = 'dora'`);
      const result = await run(["user", "list"]);
      expect(result.out.some((line) => line.startsWith("@dora\t"))).toBe(true);
    });
  });

  describe("user role", () => {
    it("makes the first admin with --role on user create", async () => {
      const result = await run(
        ["user", "create", "root_admin", "--role", "admin"],
        "admin-password-1\n",
      );
      expect(result).toEqual({
        code: 0,
        out: [`Created @root_admin@${host} (${testApp.baseUrl}/users/root_admin), admin`],
        err: [],
      });
      expect((await app.members.findByUsername("root_admin"))?.role).toBe("admin");
      const bad = await run(
        ["user", "create", "wrong_role", "--role", "boss"],
        "wrong-password-1\n",
      );
      expect(bad).toEqual({ code: 1, out: [], err: ["--role must be admin, moderator, member."] });
      expect(await app.members.findByUsername("wrong_role")).toBeUndefined();
    });

    it("gives and takes roles, whatever the case of the name", async () => {
      expect(await run(["user", "role", "Alice", "moderator"])).toEqual({
        code: 0,
        out: ["@alice is now moderator."],
        err: [],
      });
      expect(await run(["user", "role", "alice", "admin"])).toMatchObject({ code: 0 });
      expect((await app.members.findByUsername("alice"))?.role).toBe("admin");
      expect(await run(["user", "role", "alice", "member"])).toMatchObject({ code: 0 });
      expect((await app.members.findByUsername("alice"))?.role).toBe("member");
    });

    it("refuses an unknown role, an unknown member, and demoting the last admin", async () => {
      expect(await run(["user", "role", "alice", "king"])).toEqual({
        code: 1,
        out: [],
        err: ["The role must be admin, moderator, member."],
      });
      expect(await run(["user", "role", "nobody_here", "admin"])).toEqual({
        code: 1,
        out: [],
        err: ['No member named "nobody_here".'],
      });
      expect(await run(["user", "role", "root_admin"])).toMatchObject({ code: 1 });
      const last = await run(["user", "role", "root_admin", "member"]);
      expect(last).toEqual({
        code: 1,
        out: [],
        err: ["@root_admin is the last admin: make another member admin first."],
      });
      expect((await app.members.findByUsername("root_admin"))?.role).toBe("admin");
      // With a second admin, the first may step down.
      await run(["user", "role", "dora", "admin"]);
      expect(await run(["user", "role", "root_admin", "member"])).toMatchObject({ code: 0 });
      expect(await run(["user", "role", "dora", "moderator"])).toMatchObject({ code: 1 });
    });
  });

  describe("token create", () => {
    it("prints a token that authenticates the member", async () => {
      const result = await run(["token", "create", "alice", "--label", "Tusky on my phone"]);
      expect(result.code).toBe(0);
      expect(result.out).toHaveLength(1);
      const token = result.out[0] as string;
      expect((await app.members.authenticateToken(token))?.member.username).toBe("alice");
      const rows = await app.database.rows<{ label: string }>(
        sql`select label from access_tokens order by created_at desc limit 1`,
      );
      expect(rows[0]?.label).toBe("Tusky on my phone");
      expect(
        JSON.stringify(await app.database.rows(sql`select * from access_tokens`)),
      ).not.toContain(token);
    });

    it("refuses an unknown member with exit code 1", async () => {
      const result = await run(["token", "create", "nobody"]);
      expect(result).toEqual({ code: 1, out: [], err: ['No member named "nobody".'] });
    });
  });

  describe("followers", () => {
    it("lists a pending follower of a member who approves by hand, then approves it", async () => {
      expect(
        await app.follows.receiveFollow({
          follower: fan,
          username: "shy",
          activityIri: "https://mastodon.example/users/fan#follows/1",
        }),
      ).toBe("pending");

      const pending = await run(["followers", "shy", "--pending"]);
      expect(pending).toEqual({
        code: 0,
        out: [`${fan.iri}\t@fan@mastodon.example`],
        err: [],
      });
      expect((await run(["followers", "shy"])).out).toEqual([]);
      // The flag may come first too.
      expect((await run(["followers", "--pending", "shy"])).out).toEqual(pending.out);

      const approve = await run(["followers", "approve", "shy", fan.iri]);
      expect(approve).toEqual({ code: 0, out: [`Approved ${fan.iri}.`], err: [] });
      expect(await app.follows.followState(fan.iri, "shy")).toBe("accepted");
      expect((await run(["followers", "shy", "--pending"])).out).toEqual([]);
      expect((await run(["followers", "shy"])).out).toEqual([`${fan.iri}\t@fan@mastodon.example`]);
    });

    it("rejects a pending follower", async () => {
      const other = { ...fan, iri: "https://mastodon.example/users/other", username: "other" };
      await app.follows.receiveFollow({
        follower: other,
        username: "shy",
        activityIri: "https://mastodon.example/users/other#follows/1",
      });
      const reject = await run(["followers", "reject", "shy", other.iri]);
      expect(reject).toEqual({ code: 0, out: [`Rejected ${other.iri}.`], err: [] });
      expect(await app.follows.followState(other.iri, "shy")).toBeUndefined();
    });

    it("refuses to approve someone who did not ask, with exit code 1", async () => {
      const result = await run(["followers", "approve", "shy", "https://nowhere.example/users/x"]);
      expect(result.code).toBe(1);
      expect(result.err[0]).toContain("has not asked to follow shy");
    });

    it("refuses the followers of an unknown member with exit code 1", async () => {
      const result = await run(["followers", "nobody"]);
      expect(result).toEqual({ code: 1, out: [], err: ['No member named "nobody".'] });
    });
  });

  it("refuses to unfollow an account the member does not follow", async () => {
    const result = await run(["unfollow", "alice", "https://mastodon.example/users/fan"]);
    expect(result.code).toBe(1);
    expect(result.err[0]).toContain("does not follow");
  });

  describe("queue", () => {
    it("lists the dead jobs with where they went and why, and queues one or all again", async () => {
      expect(await run(["queue", "dead"])).toEqual({
        code: 0,
        out: ["No dead job: every failed delivery is still being retried."],
        err: [],
      });
      // Two deliveries that ran out of attempts, as the queue leaves them.
      const rows = await app.database.rows<{ id: string }>(sql`
        insert into queue_jobs (message, attempts, dead_at, last_error) values
          (${JSON.stringify({ type: "outbox", activityType: "https://www.w3.org/ns/activitystreams#Create", inbox: "https://down.example/inbox" })}::jsonb,
           15, now(), 'FetchError: connect ECONNREFUSED'),
          (${JSON.stringify({ type: "outbox", activityType: "https://www.w3.org/ns/activitystreams#Update", inbox: "https://down.example/inbox" })}::jsonb,
           15, now(), 'SendActivityError: 500')
        returning id::text`);
      const [first, second] = rows.map((row) => row.id);
      const listed = await run(["queue", "dead"]);
      expect(listed.code).toBe(0);
      expect(listed.out).toHaveLength(2);
      expect(listed.out[0]).toMatch(
        new RegExp(
          `^${first}\t\\S+\t15 attempts\t.*#Create → https://down.example/inbox\tFetchError: connect ECONNREFUSED$`,
        ),
      );

      expect(await run(["queue", "retry", first as string])).toEqual({
        code: 0,
        out: ["1 job queued again; a worker runs them now."],
        err: [],
      });
      expect((await run(["queue", "dead"])).out).toHaveLength(1);
      const revived = await app.database.rows<{ attempts: number; dead: boolean }>(
        sql`select attempts, dead_at is not null as dead from queue_jobs where id = ${first}`,
      );
      expect(revived).toEqual([{ attempts: 0, dead: false }]);

      expect((await run(["queue", "retry", first as string])).err).toEqual([
        `No dead job ${first}.`,
      ]);
      expect((await run(["queue", "retry"])).code).toBe(1);
      expect(await run(["queue", "retry", "--all"])).toMatchObject({
        code: 0,
        out: ["1 job queued again; a worker runs them now."],
      });
      await app.database.rows(sql`delete from queue_jobs where id in (${first}, ${second})`);
    });
  });

  it("deletes an account only with --yes, through the service, and keeps the name reserved", async () => {
    await run(["user", "create", "leaving"], "leaving-password-1");
    const refused = await run(["user", "delete", "leaving"]);
    expect(refused.code).toBe(1);
    expect(refused.err.join("\n")).toMatch(/cannot be undone.*--yes/s);
    expect((await app.members.findByUsername("leaving"))?.deletedAt).toBeNull();

    const done = await run(["user", "delete", "leaving", "--yes"]);
    expect(done.code).toBe(0);
    expect(done.out.join("\n")).toMatch(/^Deleted @leaving: .*the name stays reserved\.$/);
    expect((await app.members.findByUsername("leaving"))?.deletedAt).toBeInstanceOf(Date);
    expect((await run(["user", "list"])).out.join("\n")).not.toContain("@leaving");

    // A deleted account gets no new password nor token: it acts no more.
    expect((await run(["user", "password", "leaving"])).code).not.toBe(0);
    expect((await run(["token", "create", "leaving"])).code).not.toBe(0);
    const again = await run(["user", "create", "leaving"], "another-password-1");

    expect(again.code).not.toBe(0);
    expect(again.err.join("\n")).toMatch(/deleted: it stays reserved/);
    expect((await run(["user", "delete", "nobody_here", "--yes"])).err.join("\n")).toMatch(
      /No member named "nobody_here"/,
    );
  });

  it("writes a member's archive with user export, the same as /settings/export", async () => {
    await run(["user", "create", "archived"], "archived-password-1");
    await app.encounters.create("archived", {
      text: "Au port",
      participants: ["Marie"],
      visibility: "public",
    });
    const dir = await mkdtemp(join(tmpdir(), "socialdapres-export-"));
    try {
      const file = join(dir, "archive.zip");
      const done = await run(["user", "export", "archived", file]);
      expect(done.code).toBe(0);
      expect(done.out.join("\n")).toContain(`Wrote the archive of @archived to ${file}`);
      const files = unzipSync(new Uint8Array(await readFile(file)));
      expect(Object.keys(files)).toEqual(
        expect.arrayContaining(["account.json", "encounters.json", "private-tracker.json"]),
      );
      expect(strFromU8(files["encounters.json"] as Uint8Array)).toContain("Au port");
      expect(exportFileName("archived", new Date("2026-03-04T10:00:00Z"))).toBe(
        "archived-export-2026-03-04.zip",
      );
      const unknown = await run(["user", "export", "nobody_here", join(dir, "x.zip")]);
      expect(unknown.code).not.toBe(0);
      expect(unknown.err.join("\n")).toMatch(/No member named "nobody_here"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("runs migrations again without harm", async () => {
    expect(await run(["db", "migrate"])).toEqual({
      code: 0,
      out: ["Database is up to date."],
      err: [],
    });
  });

  it.each([[["frobnicate"]], [["user"]], [["user", "rename", "alice"]], [[]], [["token"]]])(
    "prints the usage and exits with 2 for %j",
    async (argv) => {
      const result = await run(argv);
      expect(result).toEqual({ code: 2, out: [], err: [USAGE] });
    },
  );
});
