import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/commands.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

/* `reports list [--all]` and `reports resolve <id> [--note …]`: the queue without a browser. */
describe(`CLI: reports (${databaseLabel})`, () => {
  let t: TestApp;

  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCommand(t.app, argv, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  beforeAll(async () => {
    t = await buildTestApp();
    for (const username of ["bea", "carl"]) {
      await t.app.members.create({ username, password: `${username}-password-123` });
    }
  });
  afterAll(() => t?.close());

  it("lists open reports, resolves one with a note, and says what is wrong", async () => {
    expect(await run(["reports", "list"])).toMatchObject({ code: 0, out: "No reports." });
    const carl = (await t.app.members.requireByUsername("carl")).actor;
    const report = await t.app.reports.file("bea", {
      accountId: carl.id,
      category: "abuse",
      comment: "Insultes\nrépétées",
    });
    const listed = await run(["reports", "list"]);
    expect(listed.out).toContain(report.id);
    expect(listed.out).toContain("reports @carl@");
    expect(listed.out).toContain("comment: Insultes répétées");
    const resolved = await run(["reports", "resolve", report.id, "--note", "Averti"]);
    expect(resolved).toMatchObject({ code: 0, out: `Report ${report.id} is resolved.` });
    expect((await run(["reports", "list"])).out).toBe("No reports.");
    expect((await run(["reports", "list", "--all"])).out).toContain("note: Averti");
    expect(await run(["reports", "resolve", report.id])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/already resolved/),
    });
    expect(await run(["reports", "resolve"])).toMatchObject({ code: 1 });
    expect(await run(["reports", "resolve", "nope"])).toMatchObject({
      code: 1,
      err: "No report nope.",
    });
  });
});
