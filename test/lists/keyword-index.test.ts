/**
 * Keyword pages (`/tags/<keyword>`, the Mastodon tag timeline) read `encounter_keywords`, kept
 * by triggers on `encounters`: the keyword's own rows in (published_at, id) order, so a page
 * costs the same whether the keyword is in every encounter or in none (EXPLAIN, once the
 * tables have statistics); and what an edit or a deletion changes is found at once.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app-contract.ts";
import { encounterKey } from "../../src/encounters/encounters-repository.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

const ROWS = 20_000;
/** One encounter in SELDOM_EVERY carries "Seldom" (4 of 20,000). */
const SELDOM_EVERY = 5_000;

describe(`the keyword index (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;

  const listed = (keyword: string, limit = 21) =>
    app.encounterRepository.listAll({ limit, visibilities: ["public"], keyword });
  const texts = async (keyword: string) => (await listed(keyword)).map((v) => v.text);

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    await app.members.create({ username: "bea", password: "bea-keyword-password" });
    const actorId = (await app.members.findWithActor("bea"))?.actor.id;
    await app.database.rows(sql`
      insert into encounters (id, iri, author_id, is_local, text, keywords, visibility, published_at)
      select gen_random_uuid(), 'https://keywords.example/notes/' || g, ${actorId}::uuid, false,
        'seeded ' || g,
        case when g % ${SELDOM_EVERY} = 0 then array['Seldom'] else array['café', 'Marché'] end,
        'public', timestamptz '2020-01-01' + g * interval '1 minute'
      from generate_series(1, ${ROWS}::int) g`);
    await app.database.rows(sql`analyze`);
  }, 120_000);
  afterAll(() => testApp?.close());

  it("walks encounter_keywords_list_idx for a rare, a frequent and an unknown keyword", async () => {
    for (const keyword of ["SELDOM", "Café", "nowhere"]) {
      // The shape of the repository's query (listAll with a keyword), on a deep page too.
      for (const page of [
        sql``,
        sql`and (k.published_at, k.encounter_id) < ('2020-01-08'::timestamptz, '00000000-0000-4000-8000-000000000000'::uuid)`,
      ]) {
        const plan = await app.database.rows<Record<string, string>>(sql`
          explain select e.id from encounter_keywords k
          join encounters e on e.id = k.encounter_id
          where k.keyword = lower(${keyword}) ${page}
            and e.deleted_at is null and e.visibility in ('public')
          order by k.published_at desc, k.encounter_id desc limit 21`);
        const text = plan.map((row) => Object.values(row)[0]).join("\n");
        expect(text, `${keyword}:\n${text}`).toContain("encounter_keywords_list_idx");
        // Neither every match sorted nor the encounters scanned.
        expect(text, `${keyword}:\n${text}`).not.toMatch(/Sort|Seq Scan|Bitmap/);
      }
    }
  });

  it("lists a rare keyword's encounters newest first, a keyset page at a time", async () => {
    const first = await listed("seldom", 3);
    expect(first.map((v) => v.text)).toEqual(["seeded 20000", "seeded 15000", "seeded 10000"]);
    const last = first.at(-1);
    if (!last) throw new Error("no encounter");
    const rest = await app.encounterRepository.listAll({
      limit: 3,
      visibilities: ["public"],
      keyword: "seldom",
      before: encounterKey(last),
    });
    expect(rest.map((v) => v.text)).toEqual(["seeded 5000"]);
    // A frequent one: the newest 21, none of the rare ones.
    const frequent = await listed("CAFÉ");
    expect(frequent).toHaveLength(21);
    expect(frequent[0]?.text).toBe("seeded 19999");
    expect(await listed("nowhere")).toEqual([]);
  });

  it("matches a keyword whatever its case, accented capitals included", async () => {
    await app.encounters.create("bea", {
      text: "Un soir d'été",
      participants: ["Zoé"],
      keywords: ["Été", "ÇaVa", "Ελλάδα"],
    });
    for (const keyword of ["été", "ÉTÉ", "Été", "çava", "ÇAVA", "ελλάδα", "ΕΛΛΆΔΑ"]) {
      expect(await texts(keyword), keyword).toEqual(["Un soir d'été"]);
    }
  });

  it("finds an edited encounter by its new keywords, not by its old ones, nor once deleted", async () => {
    const view = await app.encounters.create("bea", {
      text: "Au marché aux puces",
      participants: ["Léon"],
      keywords: ["Brocante", "Dimanche"],
    });
    expect(await texts("brocante")).toEqual(["Au marché aux puces"]);
    await app.encounters.update("bea", view.id, { keywords: ["Puces", "dimanche"] });
    expect(await texts("brocante")).toEqual([]);
    expect(await texts("PUCES")).toEqual(["Au marché aux puces"]);
    expect(await texts("Dimanche")).toEqual(["Au marché aux puces"]);
    // An edit of the text alone keeps the keywords found.
    await app.encounters.update("bea", view.id, { text: "Au marché aux puces, le matin" });
    expect(await texts("puces")).toEqual(["Au marché aux puces, le matin"]);
    await app.encounters.delete("bea", view.id);
    expect(await texts("puces")).toEqual([]);
    const [rows] = await app.database.rows<{ n: number }>(
      sql`select count(*)::int as n from encounter_keywords where encounter_id = ${view.id}::uuid`,
    );
    expect(rows?.n).toBe(0);
  });

  it("holds exactly the lowercased keywords of the encounters not deleted", async () => {
    const differences = await app.database.rows(sql`
      (select e.id, lower(k) as keyword, e.published_at from encounters e, unnest(e.keywords) k
        where e.deleted_at is null
       except select encounter_id, keyword, published_at from encounter_keywords)
      union all
      (select encounter_id, keyword, published_at from encounter_keywords
       except select e.id, lower(k), e.published_at from encounters e, unnest(e.keywords) k
        where e.deleted_at is null)`);
    expect(differences).toEqual([]);
  });
});
