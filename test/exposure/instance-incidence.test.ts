import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/commands.ts";
import { API, client } from "../api/helpers.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

describe(`pandemic mode with the instance's epidemic figures (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCommand(t.app, argv, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  const lastWeek = async () => {
    const response = await bea({ method: "GET", url: `${API}/tracker/weeks?weeks=1` });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    return (Array.isArray(body) ? body : body.weeks)[0] as { rch: number; microcovids?: number };
  };

  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.members.create({ username: "bea", password: "bea-password-123" });
    bea = client(t.app, await t.app.members.createToken("bea", "test"));
    await t.app.encounters.create("bea", {
      text: "Dîner",
      participants: ["Marie", "Paul"],
      visibility: "private",
    });
    const settings = await bea({
      method: "PATCH",
      url: `${API}/tracker/settings`,
      payload: { pandemicMode: true },
    });
    expect(settings.statusCode, settings.body).toBe(200);
  });
  afterAll(() => t.close());

  it("counts microCOVIDs only once the admin sets the figures, and refuses nonsense", async () => {
    expect((await lastWeek()).microcovids).toBeUndefined();

    expect(await cli("tracker", "incidence", "abc")).toMatchObject({
      code: 1,
      err: expect.stringMatching(/not a number/),
    });
    expect(await cli("tracker", "incidence", "120", "8")).toMatchObject({
      code: 1,
      err: expect.stringMatching(/share from 0 to 1/),
    });
    expect((await lastWeek()).microcovids).toBeUndefined();

    expect((await cli("tracker", "incidence", "120", "0.05")).code).toBe(0);
    const week = await lastWeek();
    expect(week.rch).toBeGreaterThan(0);
    expect(week.microcovids).toBeGreaterThan(0);

    expect((await cli("tracker", "incidence", "clear")).code).toBe(0);
    expect((await lastWeek()).microcovids).toBeUndefined();
  });
});
