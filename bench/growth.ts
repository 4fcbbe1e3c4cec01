/**
 * Growth: does every list cost the same at 100 rows as at 100,000? Two instances on fresh
 * databases, seeded in bulk SQL (`generate_series`, not the API): a small one (100
 * encounters, followers, following and notifications) and a large one (100,000 encounters and
 * notifications, 10,000 followers and following). Each list's first page (and a page deep in
 * the list) is asked for `--requests` times of each instance in alternation through
 * `app.http.inject()`: the server's own time, as bench/pages.ts measures it, and load from
 * other work weighs on both sizes alike. The ratio large/small of the p50 is the figure
 * (target ≤ 2×).
 *
 *   node bench/growth.ts --database pglite|postgres [--requests 15] [--warmup 3]
 *
 * Run by bench/run.ts (one process per database); prints its result line for it.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import { encodeKeyset } from "../src/db/keyset.ts";
import type { Logger } from "../src/shared/logger.ts";
import { SESSION_COOKIE } from "../src/web/session.ts";
import { WebClient } from "../test/support/web.ts";
import {
  argument,
  type BenchApp,
  countingLogger,
  type DatabaseKind,
  runScenarioMain,
  startApp,
} from "./support.ts";

export interface GrowthTiming {
  list: string;
  path: string;
  status: { small: number; large: number };
  small: { p50: number; p99: number };
  large: { p50: number; p99: number };
  /** large p50 / small p50. */
  ratio: number;
}

export interface GrowthResult {
  scenario: "growth";
  database: DatabaseKind;
  sizes: {
    small: Record<string, number>;
    large: Record<string, number>;
  };
  seedSeconds: number;
  timings: GrowthTiming[];
  /** 1-minute load average at the start and the end of the measures. */
  load: { start: number; end: number };
}

const SMALL = { encounters: 100, followers: 100, following: 100, notifications: 100 };
const LARGE = {
  encounters: 100_000,
  followers: 10_000,
  following: 10_000,
  notifications: 100_000,
};
/**
 * One encounter in RARE_EVERY carries the keyword "Rare" (found through the GIN index at the
 * large size); one in RARE_SMALL_EVERY among the first 100, so that both sizes show a full
 * page of 20 (the same rendering work, only the search differs).
 */
const RARE_EVERY = 100;
const RARE_SMALL_EVERY = 5;
/** One encounter in this many is written by a remote actor bea follows (the home timeline). */
const REMOTE_EVERY = 10;

export const GROWTH_SIZES = { small: SMALL, large: LARGE, rareEvery: RARE_EVERY };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

/**
 * Rows `from`..`to` (1-based) of each kind: remote actors (each with a follow of bea and
 * one followed by bea), encounters (most by bea, one in REMOTE_EVERY by a followed actor),
 * their participants, and bea's notifications. Times grow with the row number: the newest
 * rows are the last seeded, as in life.
 */
async function seed(
  database: { rows: (q: ReturnType<typeof sql>) => Promise<unknown[]> },
  origin: string,
  bea: { actorId: string; memberId: string },
  range: { from: number; to: number; actorsFrom: number; actorsTo: number },
): Promise<void> {
  const { from, to, actorsFrom, actorsTo } = range;
  // Remote actors 2k-1 follow bea; bea follows remote actors 2k.
  await database.rows(sql`
    insert into actors (id, iri, username, host, inbox_url, shared_inbox_url)
    select gen_random_uuid(), 'https://r' || (g % 500) || '.example/users/a' || g, 'a' || g,
      'r' || (g % 500) || '.example', 'https://r' || (g % 500) || '.example/users/a' || g || '/inbox',
      'https://r' || (g % 500) || '.example/inbox'
    from generate_series(${2 * actorsFrom - 1}::int, ${2 * actorsTo}::int) g`);
  await database.rows(sql`
    insert into follows (id, follower_id, following_id, state, activity_iri, created_at, accepted_at)
    select gen_random_uuid(), a.id, ${bea.actorId}::uuid, 'accepted', a.iri || '#follow',
      timestamptz '2024-01-01' + (substr(a.username, 2)::int) * interval '1 second', now()
    from actors a
    where a.member_id is null and a.username ~ '^a[0-9]+$'
      and substr(a.username, 2)::int between ${2 * actorsFrom - 1} and ${2 * actorsTo}
      and substr(a.username, 2)::int % 2 = 1`);
  await database.rows(sql`
    insert into follows (id, follower_id, following_id, state, activity_iri, created_at, accepted_at)
    select gen_random_uuid(), ${bea.actorId}::uuid, a.id, 'accepted',
      ${origin} || '/follows/' || a.username,
      timestamptz '2024-01-01' + (substr(a.username, 2)::int) * interval '1 second', now()
    from actors a
    where a.member_id is null and a.username ~ '^a[0-9]+$'
      and substr(a.username, 2)::int between ${2 * actorsFrom - 1} and ${2 * actorsTo}
      and substr(a.username, 2)::int % 2 = 0`);
  // Encounters: ids made first, so the IRI can carry them.
  await database.rows(sql`
    insert into encounters (id, iri, author_id, is_local, text, keywords, visibility, published_at)
    select e.id,
      case when e.remote then 'https://r1.example/notes/' || e.g
        else ${origin} || '/users/bea/encounters/' || e.id end,
      case when e.remote then (select id from actors where username = 'a2') else ${bea.actorId}::uuid end,
      not e.remote,
      'Rencontre ' || e.g || ' au marché #Socialdapres',
      case when (e.g <= ${SMALL.encounters} and e.g % ${RARE_SMALL_EVERY} = 0)
          or (e.g > ${SMALL.encounters} and e.g % ${RARE_EVERY} = 0)
        then array['marché', 'Rare'] else array['marché', 'café'] end,
      'public',
      timestamptz '2020-01-01' + e.g * interval '1 minute'
    from (select g, gen_random_uuid() as id, g % ${REMOTE_EVERY} = 0 as remote
          from generate_series(${from}::int, ${to}::int) g) e`);
  await database.rows(sql`
    insert into encounter_participants (id, encounter_id, position, plain_name)
    select gen_random_uuid(), e.id, 0, 'Zoé'
    from encounters e
    where e.published_at between timestamptz '2020-01-01' + ${from} * interval '1 minute'
      and timestamptz '2020-01-01' + ${to} * interval '1 minute'`);
  await database.rows(sql`
    insert into notifications (id, member_id, kind, encounter_id, created_at)
    select gen_random_uuid(), ${bea.memberId}::uuid, 'named_in_encounter', e.id,
      e.published_at + interval '1 second'
    from encounters e
    where e.published_at between timestamptz '2020-01-01' + ${from} * interval '1 minute'
      and timestamptz '2020-01-01' + ${to} * interval '1 minute'`);
  // What the statistics keeper (PGlite, src/db/statistics.ts) or autovacuum (PostgreSQL)
  // does after such a batch: fresh statistics for the planner.
  await database.rows(sql`analyze`);
}

/** One instance at one size, seeded, with bea's clients. */
interface Sized {
  bench: BenchApp;
  beaActorId: string;
  visitor: WebClient;
  member: WebClient;
  api: WebClient;
  activityJson: WebClient;
  sizes: Record<string, number>;
}

interface ListProbe {
  list: string;
  client: (sized: Sized) => WebClient;
  /** The path at this size (a deep page's key depends on the data). */
  path: (sized: Sized) => Promise<string>;
}

async function sized(
  database: DatabaseKind,
  logger: Logger,
  size: { encounters: number; followers: number },
): Promise<Sized> {
  const bench = await startApp(database, logger);
  try {
    const { app, origin } = bench;
    const password = "bea-growth-password-1";
    await app.members.create({ username: "bea", password, displayName: "Béa" });
    const found = await app.members.findWithActor("bea");
    if (!found) throw new Error("bea has no actor");
    const bea = { actorId: found.actor.id, memberId: found.member.id };
    await seed(app.database, origin, bea, {
      from: 1,
      to: size.encounters,
      actorsFrom: 1,
      actorsTo: size.followers,
    });
    const [counts] = await app.database.rows<Record<string, number>>(sql`
      select (select count(*)::int from encounters) as encounters,
        (select count(*)::int from follows where following_id = ${bea.actorId}::uuid) as followers,
        (select count(*)::int from follows where follower_id = ${bea.actorId}::uuid) as following,
        (select count(*)::int from notifications) as notifications`);
    const token = await app.members.createToken("bea", "growth bench");
    return {
      bench,
      beaActorId: bea.actorId,
      visitor: new UncachedVisitor(app.http),
      member: await new WebClient(app.http).login("bea", password),
      api: new WebClient(app.http, { authorization: `Bearer ${token}` }),
      activityJson: new WebClient(app.http, { accept: "application/activity+json" }),
      sizes: counts ?? {},
    };
  } catch (error) {
    await bench.close();
    throw error;
  }
}

/** The row in the middle of a list, for a page deep in it (keyset: it costs as the first). */
async function middleRow(s: Sized, table: "encounters" | "follows", at: string, where: string) {
  const [row] = await s.bench.app.database.rows<{ at: Date | string; id: string }>(
    sql.raw(`select ${at} as at, id from ${table} where ${where}
      order by ${at} desc, id desc
      offset (select count(*) / 2 from ${table} where ${where}) limit 1`),
  );
  if (!row) throw new Error(`nothing in ${table}`);
  return { at: new Date(row.at), id: row.id };
}

/** That row's key, as a `?before=` carries it. */
const middleKey = async (...args: Parameters<typeof middleRow>) =>
  encodeURIComponent(encodeKeyset(await middleRow(...args)));
/** The middle of bea's home: her encounters are in it, so one of hers halfway down is too. */
const beaEncounters = (s: Sized) => `author_id = '${s.beaActorId}'`;

/**
 * A visitor whose pages are made at each request: a session cookie (one that opens no session)
 * keeps them out of the visitor page cache (src/http/page-cache.ts), which would otherwise
 * answer every request after the first without running the list's query.
 */
class UncachedVisitor extends WebClient {
  override get(url: string, headers: Record<string, string> = {}) {
    return super.get(url, { ...headers, cookie: `${SESSION_COOKIE}=growth-bench-visitor` });
  }
}

const fixed = (path: string) => async () => path;
const byId = (path: (id: string) => string) => async (s: Sized) => path(s.beaActorId);
const visitor = (s: Sized) => s.visitor;
const member = (s: Sized) => s.member;
const api = (s: Sized) => s.api;
const activityJson = (s: Sized) => s.activityJson;

const PROBES: ListProbe[] = [
  { list: "profile (HTML)", client: visitor, path: fixed("/@bea") },
  {
    list: "profile, a page in the middle (HTML)",
    client: visitor,
    path: async (s) =>
      `/@bea?before=${await middleKey(s, "encounters", "published_at", `author_id = '${s.beaActorId}'`)}`,
  },
  {
    list: "account statuses (Mastodon API)",
    client: api,
    path: byId((id) => `/api/v1/accounts/${id}/statuses`),
  },
  { list: "tag #Socialdapres (HTML)", client: visitor, path: fixed("/tags/socialdapres") },
  { list: "keyword, in every encounter (HTML)", client: visitor, path: fixed("/tags/café") },
  { list: `keyword, in 1 of ${RARE_EVERY} (HTML)`, client: visitor, path: fixed("/tags/rare") },
  { list: "tag timeline (Mastodon API)", client: api, path: fixed("/api/v1/timelines/tag/rare") },
  { list: "followers (HTML)", client: member, path: fixed("/followers") },
  {
    list: "followers, a page in the middle (HTML)",
    client: member,
    path: async (s) =>
      `/followers?before=${await middleKey(s, "follows", "created_at", `following_id = '${s.beaActorId}'`)}`,
  },
  { list: "following (HTML)", client: member, path: fixed("/following") },
  {
    list: "followers collection, count (AP)",
    client: activityJson,
    path: fixed("/users/bea/followers"),
  },
  {
    list: "followers, first page (AP)",
    client: activityJson,
    path: fixed("/users/bea/followers?cursor=first"),
  },
  {
    list: "following, first page (AP)",
    client: activityJson,
    path: fixed("/users/bea/following?cursor=first"),
  },
  {
    list: "followers (Mastodon API)",
    client: api,
    path: byId((id) => `/api/v1/accounts/${id}/followers`),
  },
  {
    list: "following (Mastodon API)",
    client: api,
    path: byId((id) => `/api/v1/accounts/${id}/following`),
  },
  {
    list: "account with counts (Mastodon API)",
    client: api,
    path: byId((id) => `/api/v1/accounts/${id}`),
  },
  {
    list: "outbox, first page (AP)",
    client: activityJson,
    path: fixed("/users/bea/outbox?cursor=first"),
  },
  { list: "notifications (HTML)", client: member, path: fixed("/notifications") },
  { list: "notifications (Mastodon API)", client: api, path: fixed("/api/v1/notifications") },
  { list: "home timeline (HTML)", client: member, path: fixed("/home") },
  { list: "home timeline (Mastodon API)", client: api, path: fixed("/api/v1/timelines/home") },
  {
    list: "home, a page in the middle (HTML)",
    client: member,
    path: async (s) =>
      `/home?before=${await middleKey(s, "encounters", "published_at", beaEncounters(s))}`,
  },
  {
    list: "home timeline, max_id in the middle (Mastodon API)",
    client: api,
    path: async (s) =>
      `/api/v1/timelines/home?max_id=${(await middleRow(s, "encounters", "published_at", beaEncounters(s))).id}`,
  },
];

async function timed(client: WebClient, path: string, times: number[]): Promise<number> {
  const started = performance.now();
  const response = await client.get(path);
  times.push(performance.now() - started);
  return response.statusCode;
}

/**
 * Both sizes of one list, asked for in alternation (small, large, small, …): what other work
 * does to the machine meanwhile weighs on both alike, so their ratio holds under load.
 */
async function measurePair(
  probe: ListProbe,
  small: Sized,
  large: Sized,
  options: { requests: number; warmup: number },
): Promise<GrowthTiming> {
  const [smallPath, largePath] = [await probe.path(small), await probe.path(large)];
  const times = { small: [] as number[], large: [] as number[] };
  const status = { small: 0, large: 0 };
  for (let i = 0; i < options.warmup; i++) {
    await probe.client(small).get(smallPath);
    await probe.client(large).get(largePath);
  }
  for (let i = 0; i < options.requests; i++) {
    status.small = await timed(probe.client(small), smallPath, times.small);
    status.large = await timed(probe.client(large), largePath, times.large);
  }
  const stats = (list: number[]) => {
    const sorted = [...list].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  const s = stats(times.small);
  const l = stats(times.large);
  return {
    list: probe.list,
    path: largePath
      .replace(/before=[^&]+/, "before=<key>")
      .replace(/max_id=[^&]+/, "max_id=<id>")
      .replace(large.beaActorId, "<id>"),
    status,
    small: s,
    large: l,
    ratio: l.p50 / Math.max(s.p50, 0.001),
  };
}

async function growth(database: DatabaseKind): Promise<GrowthResult> {
  const requests = Number(argument("requests", "15"));
  const warmup = Number(argument("warmup", "3"));
  const { logger, problems } = countingLogger();
  const seedStarted = performance.now();
  process.stderr.write(`[growth] ${database}: seeding the small instance…\n`);
  const small = await sized(database, logger, SMALL);
  let large: Sized | undefined;
  try {
    process.stderr.write(`[growth] ${database}: seeding the large instance…\n`);
    large = await sized(database, logger, LARGE);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const loadStart = loadavg()[0] ?? 0;
    const timings: GrowthTiming[] = [];
    for (const probe of PROBES) {
      process.stderr.write(`[growth] ${database}: ${probe.list}…\n`);
      timings.push(await measurePair(probe, small, large, { requests, warmup }));
    }
    if (problems() > 0) throw new Error(`${problems()} warnings or errors logged`);
    return {
      scenario: "growth",
      database,
      sizes: { small: small.sizes, large: large.sizes },
      seedSeconds,
      timings,
      load: { start: loadStart, end: loadavg()[0] ?? 0 },
    };
  } finally {
    await small.bench.close();
    await large?.bench.close();
  }
}

const database = argument("database", "pglite") as DatabaseKind;
runScenarioMain(Number(argument("timeout-ms", "420000")), () => growth(database));
