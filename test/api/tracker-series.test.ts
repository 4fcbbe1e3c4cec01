import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { personRisk } from "../../src/exposure/model/model.ts";
import { addWeeks, weekBounds, weekStartOf } from "../../src/exposure/model/weeks.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";
import { API, client, membersWithTokens } from "./helpers.ts";

type Json = Record<string, unknown>;
const ZONE = "Europe/Paris"; // the default time zone of a member

/** A day of last week (0 = Monday): always in the past, whatever today is. */
const lastWeek = addWeeks(weekStartOf(new Date(), ZONE), -1);
const dayOfLastWeek = (n: number) => {
  const d = new Date(`${lastWeek}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

describe(`API: weekly series and last seen (${databaseLabel})`, () => {
  let t: TestApp;
  let bea: ReturnType<typeof client>;
  let antoine: ReturnType<typeof client>;

  async function encounter(payload: Json, fields: Json) {
    const created = await bea({ method: "POST", url: `${API}/encounters`, payload });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const put = await bea({
      method: "PUT",
      url: `${API}/encounters/${id}/private`,
      payload: fields,
    });
    expect(put.statusCode, put.body).toBe(200);
  }

  beforeAll(async () => {
    t = await buildTestApp();
    const tokens = await membersWithTokens(t.app, ["bea", "antoine"]);
    bea = client(t.app, tokens.bea as string);
    antoine = client(t.app, tokens.antoine as string);
    // 2 others × min(2 h × indoors 1 × 1 m 1 × normal 1 × no masks, 4.29) = 4 RCH.
    await encounter(
      { text: "Dîner", participants: ["@antoine", "Lucie"], occurredOn: dayOfLastWeek(0) },
      {
        othersPresent: 2,
        setting: "indoors",
        durationMinutes: 120,
        distance: "one_metre",
        voice: "normal",
        theirMask: "none",
        myMask: "none",
        satisfying: true,
        circles: [
          { position: 0, circle: "intimate" },
          { position: 1, circle: "close" },
        ],
      },
    );
    // Private-only: 1 × 1 h × outdoors 0.05 × close 2 × loud 5 = 0.5 RCH.
    await encounter(
      {
        text: "Balade",
        participants: ["Lucie"],
        occurredOn: dayOfLastWeek(2),
        visibility: "private",
      },
      {
        setting: "outdoors",
        durationMinutes: 60,
        distance: "close",
        voice: "loud",
        satisfying: true,
      },
    );
    // 1 × 10 h × ventilated 0.25 × 1 m 1 × their surgical 1/4 × my FFP2 1/3 = 0.2083 RCH.
    await encounter(
      { text: "Bureau", participants: ["Marc"], occurredOn: dayOfLastWeek(4) },
      {
        setting: "ventilated",
        durationMinutes: 600,
        distance: "one_metre",
        theirMask: "surgical",
        myMask: "ffp2",
        satisfying: false,
      },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it("gives 12 weeks by default, last week with the figures of the model's formulas", async () => {
    const response = await bea({ method: "GET", url: `${API}/tracker/weeks` });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers["cache-control"]).toBe("private, no-store");
    const weeks = response.json() as Json[];
    expect(weeks).toHaveLength(12);
    expect(weeks[11]?.weekStart).toBe(weekStartOf(new Date(), ZONE));
    expect(weeks[10]).toEqual({
      weekStart: lastWeek,
      satisfyingEncounters: 2,
      encounters: 3,
      // Antoine, Lucie (twice) and Marc.
      distinctPeople: 3,
      rch: 4.71, // 4 + 0.5 + 0.2083
      status: "equilibre",
    });
    expect(weeks[9]).toMatchObject({ encounters: 0, rch: 0, status: "isole" });
    expect(weeks.every((w) => !("microcovids" in w))).toBe(true);
  });

  it("adds microCOVIDs in pandemic mode: RCH × 0.14 × person risk", async () => {
    await t.app.database.db.execute(
      sql`insert into tracker_settings (member_id, pandemic_mode, weekly_incidence, test_positivity)
          select id, true, 100, 0.1 from members where username = 'bea'`,
    );
    const weeks = (await bea({ method: "GET", url: `${API}/tracker/weeks?weeks=2` })).json();
    expect(weeks).toHaveLength(2);
    const risk = personRisk(100, 0.1, weekBounds(lastWeek, ZONE).start);
    const expected = (4 + 0.5 + 10 * 0.25 * (1 / 4) * (1 / 3)) * 0.14 * risk * 1e6;
    expect(weeks[0].microcovids).toBeCloseTo(expected, 1);
    expect(weeks[0].status).toBe(expected > 200 ? "surexpose" : "equilibre");
    await t.app.database.db.execute(
      sql`delete from tracker_settings where member_id = (select id from members where username = 'bea')`,
    );
  });

  it.each(["0", "105", "abc", "1.5", ""])(
    "rejects weeks=%s with a 422 that says how",
    async (n) => {
      const response = await bea({ method: "GET", url: `${API}/tracker/weeks?weeks=${n}` });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatch(/weeks/);
    },
  );

  it("accepts 1 and 104 weeks", async () => {
    for (const n of [1, 104]) {
      const response = await bea({ method: "GET", url: `${API}/tracker/weeks?weeks=${n}` });
      expect(response.json()).toHaveLength(n);
    }
  });

  it("lists the people last seen, with circles and reminders (intimate after 7 days)", async () => {
    const response = await bea({ method: "GET", url: `${API}/tracker/last-seen` });
    expect(response.statusCode, response.body).toBe(200);
    const people = response.json() as Json[];
    const byName = Object.fromEntries(people.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(
      [`@antoine@${t.app.urls.origin.host}`, "Lucie", "Marc"].sort(),
    );
    expect(byName[`@antoine@${t.app.urls.origin.host}`]).toMatchObject({
      circle: "intimate",
      lastSeen: dayOfLastWeek(0),
      reminder: true,
    });
    expect(byName.Lucie).toMatchObject({
      circle: "close",
      lastSeen: dayOfLastWeek(2),
      reminder: false,
    });
    expect(byName.Marc).toMatchObject({ circle: null, reminder: false });
  });

  it("never shows a member another member's tracker, and needs a token", async () => {
    const weeks = (await antoine({ method: "GET", url: `${API}/tracker/weeks` })).json() as Json[];
    expect(weeks.every((w) => w.encounters === 0 && w.rch === 0)).toBe(true);
    expect((await antoine({ method: "GET", url: `${API}/tracker/last-seen` })).json()).toEqual([]);
    const anonymous = await t.app.http.inject({ method: "GET", url: `${API}/tracker/weeks` });
    expect(anonymous.statusCode).toBe(401);
  });
});
