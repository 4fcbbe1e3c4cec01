import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { App } from "../../src/app.ts";

const tablesOf = new WeakMap<App, Promise<string[]>>();

/**
 * A digest of everything a request could store: every row of every table of the
 * application, and the photo files. Two equal digests mean nothing was written.
 * `kv_entries` is left out: it is Fedify's cache (fetched public keys, what signature
 * each server answered to), which a refused signed request may legitimately fill.
 */
export async function storedDigest(app: App): Promise<string> {
  let tables = tablesOf.get(app);
  if (!tables) {
    tables = app.database
      .rows<{ name: string }>(
        sql`select table_name as name from information_schema.tables
            where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'kv_entries'
            order by table_name`,
      )
      .then((rows) => rows.map((row) => row.name));
    tablesOf.set(app, tables);
  }
  const names = await tables;
  const query = names
    .map(
      (name) =>
        `select '${name}' as name, count(*)::int as n, md5(coalesce(string_agg(t::text, ',' order by t::text), '')) as digest from "${name}" t`,
    )
    .join(" union all ");
  const rows = await app.database.rows<{ name: string; n: number; digest: string }>(sql.raw(query));
  const photos = await readdir(join(app.config.dataDir, "media", "photos")).catch(() => []);
  return [...rows.map((r) => `${r.name}:${r.n}:${r.digest}`), `photos:${photos.length}`].join("\n");
}
