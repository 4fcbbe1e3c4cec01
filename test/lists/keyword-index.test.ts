/**
 * PostgreSQL only: the keyword query of the tag pages is answered by the GIN index on the
 * lowercased keywords when the keyword is rare, once the table has statistics (EXPLAIN).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app-contract.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";

describe.skipIf(!process.env.TEST_DATABASE_URL)("the keyword index (postgres)", () => {
  let testApp: TestApp;
  let app: App;

  beforeAll(async () => {
    testApp = await buildTestApp();
    app = testApp.app;
    await app.members.create({ username: "bea", password: "bea-keyword-password" });
    const actorId = (await app.members.findWithActor("bea"))?.actor.id;
    await app.database.rows(sql`
      insert into encounters (id, iri, author_id, is_local, text, keywords, visibility, published_at)
      select gen_random_uuid(), 'https://keywords.example/notes/' || g, ${actorId}::uuid, false, 't',
        case when g % 5000 = 0 then array['Seldom'] else array['café'] end, 'public',
        timestamptz '2020-01-01' + g * interval '1 minute'
      from generate_series(1, 50000) g`);
    await app.database.rows(sql`analyze encounters`);
  });
  afterAll(() => testApp?.close());

  it("finds 10 encounters among 50,000 through encounters_keywords_lower_idx", async () => {
    // The tag page's own query, from the repository.
    const views = await app.encounterRepository.listAll({
      limit: 21,
      visibilities: ["public", "unlisted"],
      keyword: "SELDOM",
    });
    expect(views).toHaveLength(10);
    const plan = await app.database.rows<Record<string, string>>(sql`
      explain select id from encounters
      where deleted_at is null and visibility in ('public', 'unlisted')
        and socialdapres_lower_keywords(keywords) @> array[lower(${"SELDOM"})]
      order by published_at desc, id desc limit 21`);
    expect(plan.map((row) => Object.values(row)[0]).join("\n")).toContain(
      "encounters_keywords_lower_idx",
    );
  });
});
