import { sql } from "drizzle-orm";
import type { Database } from "./database.ts";

/** The channel on which the triggers announce each new document generation. */
const CHANNEL = "document_generation";

/**
 * Reads the database's document generation (table `document_generation`): raised by every
 * committed change to what the served ActivityPub documents are made of
 * (src/http/document-cache.ts).
 *
 * On PostgreSQL each read is one query by primary key: another process may have committed.
 * PGlite is opened by this process alone (the data directory's lock), so every commit happens
 * here: the triggers' NOTIFY reaches this process before the committing statement returns, and
 * after one query at start the generation is known without asking.
 */
export async function documentGenerationReader(
  database: Pick<Database, "rows" | "listen">,
): Promise<() => Promise<number>> {
  const query = async () => {
    const [row] = await database.rows<{ generation: number | string }>(
      sql`select generation from document_generation where id = 1`,
    );
    if (!row) throw new Error("document_generation has no row: are the migrations applied?");
    return Number(row.generation);
  };
  if (!database.listen) return query;
  let known = -1;
  await database.listen(CHANNEL, (payload) => {
    known = Math.max(known, Number(payload));
  });
  // After LISTEN: a commit between the two is seen by one or the other.
  known = Math.max(known, await query());
  return async () => known;
}
