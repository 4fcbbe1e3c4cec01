import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import type { App } from "../../src/app.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { runCli } from "../support/cli.ts";
import { databaseLabel } from "../support/database.ts";

const troll = (host: string, name = "troll"): RemoteActorRecord => ({
  iri: `https://${host}/users/${name}`,
  type: "Person",
  username: name,
  host,
  name: "A troll",
  summary: "",
  url: `https://${host}/@${name}`,
  inboxUrl: `https://${host}/users/${name}/inbox`,
  sharedInboxUrl: `https://${host}/inbox`,
  followersUrl: `https://${host}/users/${name}/followers`,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
});

describe(`moderation CLI (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;

  const run = (argv: string[], stdin?: string) => runCli(app, argv, stdin);

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    await app.members.create({ username: "cleo", password: "correct horse battery" });
  });
  afterAll(() => testApp?.close());

  it("blocks a domain: its accounts and follows are forgotten, the audit log says who and why", async () => {
    const actor = await app.actors.upsertRemote(troll("bad.example"));
    const sub = await app.actors.upsertRemote(troll("a.bad.example", "sub"));
    await app.actors.upsertRemote(troll("notbad.example", "fine"));
    await app.follows.receiveFollow({
      follower: troll("bad.example"),
      username: "cleo",
      activityIri: "https://bad.example/follows/1",
    });
    expect((await app.follows.counts("cleo")).followers).toBe(1);

    const done = await run(["domain", "block", "Bad.Example", "--reason", "harassment"]);
    expect(done).toMatchObject({ code: 0 });
    expect(done.out[0]).toContain("bad.example is blocked");
    expect(done.out[0]).toContain("2 of its accounts");
    expect(await app.actors.findByIri(actor.iri)).toBeUndefined();
    expect(await app.actors.findByIri(sub.iri)).toBeUndefined();
    expect(await app.actors.findByIri(troll("notbad.example", "fine").iri)).toBeDefined();
    expect((await app.follows.counts("cleo")).followers).toBe(0);

    const list = await run(["domain", "list"]);
    expect(list.out).toEqual(["bad.example\tblock\tharassment"]);
    const audit = await run(["audit", "list", "--limit", "5"]);
    expect(audit.out[0]).toMatch(/\tcli\tdomain\.block\tbad\.example\tharassment$/);
  });

  it("refuses what is not a domain, and an unknown one to unblock", async () => {
    const bad = await run(["domain", "block", "not a host!"]);
    expect(bad.code).toBe(1);
    expect(bad.err[0]).toContain("is not a domain name");
    const own = await run(["domain", "block", new URL(testApp.baseUrl).host]);
    expect(own.err[0]).toContain("this instance's own host");
    const unknown = await run(["domain", "unblock", "never.example"]);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.err[0]).toContain("No policy for never.example");
  });

  it("exports and imports Mastodon's CSV, naming every bad line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "domains-"));
    const file = join(dir, "blocks.csv");
    expect((await run(["domain", "export", file])).code).toBe(0);
    const csv = await readFile(file, "utf8");
    expect(csv.split("\n")[0]).toBe(
      "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
    );
    expect(csv).toContain("bad.example,suspend,false,false,harassment,false");

    await writeFile(
      file,
      [
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
        'spam.example,silence,false,false,"spam, lots",false',
        "oops example,suspend,false,false,,false",
        "other.example,noop,false,false,,false",
      ].join("\n"),
    );
    const imported = await run(["domain", "import", file]);
    expect(imported.code).toBe(1);
    expect(imported.out[0]).toBe("1 domain applied, 2 lines refused.");
    expect(imported.err[0]).toMatch(/^line 3: .*not a domain name/);
    expect(imported.err[1]).toMatch(/^line 4: .*noop/);
    expect((await run(["domain", "list"])).out).toContain("spam.example\tlimit\tspam, lots");

    const noHeader = await run(["domain", "import", "-"], "spam.example\n");
    expect(noHeader.err[0]).toContain("line 1: The first line must be the header");
    expect((await run(["domain", "unblock", "spam.example"])).code).toBe(0);
  });

  it("silences and suspends a remote account, then lifts it", async () => {
    await app.actors.upsertRemote(troll("loud.example", "shouter"));
    const silenced = await run(["account", "silence", "@shouter@loud.example", "--reason", "spam"]);
    expect(silenced.out).toEqual(["shouter@loud.example: silenced."]);
    const suspended = await run(["account", "suspend", "shouter@loud.example"]);
    expect(suspended.out).toEqual(["shouter@loud.example: suspended, silenced."]);
    expect(
      await app.repositories.moderationPolicy.decide(troll("loud.example", "shouter").iri),
    ).toMatchObject({ refused: true, because: "account" });
    await run(["account", "unsuspend", "shouter@loud.example"]);
    const lifted = await run(["account", "unsilence", "shouter@loud.example"]);
    expect(lifted.out).toEqual(["shouter@loud.example: no restriction."]);
    const unknown = await run(["account", "suspend", "@nobody@nowhere.example"]);
    expect(unknown.err[0]).toContain("No remote account");
    const wrong = await run(["account", "warn", "@shouter@loud.example"]);
    expect(wrong.err[0]).toContain("A remote account can be silence");
  });

  it("warns, freezes and suspends a member; --final deletes the account", async () => {
    expect((await run(["account", "warn", "cleo", "--reason", "be kind"])).code).toBe(0);
    expect((await app.memberActions.warningsOf("cleo"))[0]?.reason).toBe("be kind");
    const frozen = await run(["account", "freeze", "cleo", "--reason", "cool down"]);
    expect(frozen.out).toEqual(["@cleo: frozen."]);
    const suspended = await run(["account", "suspend", "cleo", "--reason", "threats"]);
    expect(suspended.out[0]).toMatch(/^@cleo: suspended, frozen, can be lifted until /);
    expect((await run(["account", "unsuspend", "cleo"])).out[0]).toBe("@cleo: frozen.");
    expect((await run(["account", "unsuspend", "cleo"])).err[0]).toBe("@cleo is not suspended.");
    expect((await run(["account", "freeze", "nobody"])).err[0]).toContain(
      'No member named "nobody"',
    );

    const final = await run(["account", "suspend", "cleo", "--final", "--reason", "threats"]);
    expect(final.code).toBe(0);
    expect((await app.members.findByUsername("cleo"))?.deletedAt).toBeInstanceOf(Date);
    const audit = await run(["audit", "list"]);
    expect(audit.out[0]).toMatch(/\tmember\.suspend_final\tcleo\tthreats$/);
    expect((await run(["audit", "list", "--limit", "x"])).err[0]).toContain("--limit");
  });
});
