/**
 * The home timeline (`/home`, `/api/v1/timelines/home`) reads a page the same way whatever the
 * mix of authors: a member whose own encounters are most of the instance (bea), one who follows
 * many actors that wrote little long ago (cleo), one who follows one actor that wrote a lot
 * (dan). The statements `listHome` sends are EXPLAINed as sent, on a seeded instance with
 * statistics: keyset walks on encounters' indexes, never a scan of the table nor a sort of all
 * the rows a walk found; and their pages are the home's rule, checked against a plain query.
 */
import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app-contract.ts";
import type { Keyset } from "../../src/db/keyset.ts";
import { encounterKey } from "../../src/encounters/encounters-repository.ts";
import { buildTestApp, type TestApp } from "../support/app.ts";
import { databaseLabel } from "../support/database.ts";

const ROWS = 20_000;
/** One encounter in FOLLOWED_EVERY is by a2, an actor bea follows; the others are bea's. */
const FOLLOWED_EVERY = 10;
/** Remote actors a1…a(2 × FOLLOWED): bea and cleo follow the even ones. */
const FOLLOWED = 2_000;
const HOME_VISIBILITIES = ["public", "unlisted", "followers"] as const;

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/** Scans of encounters in this tree that no Limit bounds, other than look-ups by id. */
function unboundedWalks(node: PlanNode): PlanNode[] {
  if (node["Node Type"] === "Limit") return [];
  const own =
    node["Relation Name"] === "encounters" && node["Index Name"] !== "encounters_pkey"
      ? [node]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(unboundedWalks)];
}

/** What is wrong with a plan: a scan of all encounters, or a sort of a walk's every row. */
function problemsOf(node: PlanNode): string[] {
  const here: string[] = [];
  if (node["Relation Name"] === "encounters" && /Seq Scan|Bitmap/.test(node["Node Type"])) {
    here.push(`${node["Node Type"]} on encounters`);
  }
  if (node["Node Type"] === "Sort") {
    for (const walk of (node.Plans ?? []).flatMap(unboundedWalks)) {
      here.push(`Sort over ${walk["Node Type"]} ${walk["Index Name"] ?? ""} on encounters`);
    }
  }
  return [...here, ...(node.Plans ?? []).flatMap(problemsOf)];
}

const indexesOf = (node: PlanNode): string[] => [
  ...(node["Relation Name"] === "encounters" && node["Index Name"] ? [node["Index Name"]] : []),
  ...(node.Plans ?? []).flatMap(indexesOf),
];

/** A statement as drizzle sent it, its `$n` bound again to its parameters. */
function bound(text: string, params: unknown[]): SQL {
  const parts = text
    .split(/(\$\d+)/)
    .map((part) =>
      /^\$\d+$/.test(part) ? sql`${params[Number(part.slice(1)) - 1]}` : sql.raw(part),
    );
  return sql.join(parts);
}

describe(`the home timeline's plans (${databaseLabel})`, () => {
  let testApp: TestApp;
  let app: App;
  let recording: Array<{ text: string; params: unknown[] }> | undefined;
  const ids: Record<string, string> = {};
  let middle: Required<Keyset>;

  const member = async (username: string) => {
    await app.members.create({ username, password: `${username}-home-plan-password` });
    const actorId = (await app.members.findWithActor(username))?.actor.id;
    if (!actorId) throw new Error(`${username} has no actor`);
    ids[username] = actorId;
    return actorId;
  };
  const home = (who: string, before?: Keyset, limit = 21) =>
    app.encounterRepository.listHome(ids[who] ?? "", {
      limit,
      before,
      visibilities: HOME_VISIBILITIES,
    });

  beforeAll(async () => {
    testApp = await buildTestApp({
      onQuery: (text, params) => recording?.push({ text, params }),
    });
    app = testApp.app;
    const bea = await member("bea");
    const cleo = await member("cleo");
    const dan = await member("dan");
    await app.database.rows(sql`
      insert into actors (id, iri, username, host, inbox_url)
      select gen_random_uuid(), 'https://r.example/users/a' || g, 'a' || g, 'r.example',
        'https://r.example/users/a' || g || '/inbox'
      from generate_series(1, ${2 * FOLLOWED}::int) g`);
    // bea and cleo follow the even actors (cleo not a2, the one that writes a lot); dan, bea.
    await app.database.rows(sql`
      insert into follows (id, follower_id, following_id, state, activity_iri, accepted_at)
      select gen_random_uuid(), m.id, a.id, 'accepted',
        'https://home.example/follows/' || m.username || '/' || a.username, now()
      from actors a, (values (${bea}::uuid, 'bea'), (${cleo}::uuid, 'cleo')) m(id, username)
      where a.host = 'r.example' and substr(a.username, 2)::int % 2 = 0
        and not (m.username = 'cleo' and a.username = 'a2')
      union all
      select gen_random_uuid(), ${dan}::uuid, ${bea}::uuid, 'accepted',
        'https://home.example/follows/dan', now()`);
    // bea's encounters and a2's (one in FOLLOWED_EVERY), newest last; one each, a year
    // earlier, by one followed actor in five (what cleo reads); a1, followed by nobody, names
    // bea in a few; a4 (followed) is blocked by bea and a6 muted: none of theirs in her home.
    await app.database.rows(sql`
      insert into encounters (id, iri, author_id, is_local, text, visibility, published_at)
      select gen_random_uuid(), 'https://home.example/notes/' || g,
        case when g % ${FOLLOWED_EVERY} = 0 then (select id from actors where username = 'a2')
          else ${bea}::uuid end,
        g % ${FOLLOWED_EVERY} <> 0, 'seeded ' || g,
        case when g % 7 = 0 then 'followers' when g % 11 = 0 then 'private' else 'public' end,
        timestamptz '2020-01-01' + g * interval '1 minute'
      from generate_series(1, ${ROWS}::int) g
      union all
      select gen_random_uuid(), 'https://home.example/little/' || a.username, a.id, false,
        'little ' || a.username, 'public',
        timestamptz '2019-01-01' + substr(a.username, 2)::int * interval '1 minute'
      from actors a where a.host = 'r.example' and substr(a.username, 2)::int % 10 in (4, 6)
      union all
      select gen_random_uuid(), 'https://home.example/late/' || a.username || '/' || g, a.id,
        false, 'late ' || a.username || ' ' || g, 'public',
        timestamptz '2020-01-01' + (${ROWS} + g) * interval '1 minute'
      from actors a, generate_series(1, 3) g where a.username in ('a1', 'a4', 'a6')`);
    await app.database.rows(sql`
      insert into encounter_participants (id, encounter_id, position, actor_id)
      select gen_random_uuid(), e.id, 0, ${bea}::uuid
      from encounters e join actors a on a.id = e.author_id where a.username = 'a1'`);
    await app.database.rows(sql`
      insert into account_blocks (id, blocker_id, target_id, activity_iri)
      select gen_random_uuid(), ${bea}::uuid, id, 'https://home.example/blocks/a4'
      from actors where username = 'a4'`);
    await app.database.rows(sql`
      insert into account_mutes (id, member_actor_id, target_id)
      select gen_random_uuid(), ${bea}::uuid, id from actors where username = 'a6'`);
    await app.database.rows(sql`analyze`);
    const [row] = await app.database.rows<{ at: Date | string; id: string }>(sql`
      select published_at as at, id from encounters where author_id = ${bea}::uuid
      order by published_at desc, id desc offset ${Math.floor(ROWS / 3)} limit 1`);
    if (!row) throw new Error("no middle");
    middle = { at: new Date(row.at), id: row.id };
  }, 180_000);
  afterAll(() => testApp?.close());

  /** The home by its definition, in one plain query: what listHome's pages must be. */
  const expected = async (who: string, before: Keyset | undefined, limit: number) => {
    const me = sql`${ids[who]}::uuid`;
    // bea blocked a4 and muted a6; cleo, who follows them too, did neither.
    const left = who === "bea" ? sql`('a4', 'a6')` : sql`('')`;
    const page = before
      ? sql`and (e.published_at, e.id) < (${before.at.toISOString()}::timestamptz, ${before.id}::uuid)`
      : sql``;
    const rows = await app.database.rows<{ id: string }>(sql`
      select e.id from encounters e join actors a on a.id = e.author_id
      where e.deleted_at is null ${page} and a.username not in ${left} and (
        e.author_id = ${me}
        or (e.visibility in ('public', 'unlisted', 'followers') and e.author_id in
          (select following_id from follows where follower_id = ${me} and state = 'accepted'))
        or (e.visibility <> 'private' and exists (select 1 from encounter_participants p
          where p.encounter_id = e.id and p.actor_id = ${me} and not p.hidden)))
      order by e.published_at desc, e.id desc limit ${limit}`);
    return rows.map((r) => r.id);
  };

  it("pages through each member's home as its definition says, blocks and mutes left out", async () => {
    for (const who of ["bea", "cleo", "dan"]) {
      for (const start of [undefined, middle]) {
        let before: Keyset | undefined = start;
        for (let pageNo = 0; pageNo < 3; pageNo++) {
          const got = await home(who, before);
          const label = `${who}, page ${pageNo} from ${start ? "the middle" : "the top"}`;
          expect(
            got.map((v) => v.id),
            label,
          ).toEqual(await expected(who, before, 21));
          const last = got.at(-1);
          if (!last) break;
          before = encounterKey(last);
        }
      }
    }
    const first = (await home("bea")).map((v) => v.text);
    expect(first.slice(0, 3)).toEqual(["late a1 3", "late a1 2", "late a1 1"]);
    expect(first.some((t) => /a4|a6/.test(t))).toBe(false);
    expect((await home("cleo")).filter((v) => /^late a(4|6)/.test(v.text))).toHaveLength(6);
  });

  // A plan's estimated cost (the blocks and mutes tests over thousands of follows) once made
  // PostgreSQL compile a query of a few milliseconds to machine code for 20–250 ms.
  it.runIf(databaseLabel === "postgres")("asks PostgreSQL for no JIT compilation", async () => {
    const [row] = await app.database.rows<{ jit: string }>(sql`show jit`);
    expect(row?.jit).toBe("off");
  });

  it("walks encounters' keyset indexes, first page and a middle one, whatever the mix", async () => {
    for (const who of ["bea", "cleo", "dan"]) {
      for (const before of [undefined, middle]) {
        recording = [];
        await home(who, before);
        const sent = recording.filter((q) => /from "encounters"/.test(q.text));
        recording = undefined;
        const label = `${who}, ${before ? "a middle page" : "the first page"}`;
        expect(sent.length, label).toBeGreaterThan(0);
        const indexes: string[] = [];
        for (const { text, params } of sent) {
          const [row] = await app.database.rows<Record<string, unknown>>(
            sql`explain (format json) ${bound(text, params)}`,
          );
          const json = Object.values(row ?? {})[0];
          const [plan] = (typeof json === "string" ? JSON.parse(json) : json) as Array<{
            Plan: PlanNode;
          }>;
          if (!plan) throw new Error("no plan");
          const shown = `${label}:\n${text}\n${JSON.stringify(plan.Plan, null, 1)}`;
          expect(problemsOf(plan.Plan), shown).toEqual([]);
          indexes.push(...indexesOf(plan.Plan));
        }
        expect(indexes, label).toEqual(
          expect.arrayContaining([expect.stringMatching(/^encounters_(author|published)_idx$/)]),
        );
      }
    }
  });
});
