import { eq } from "drizzle-orm";
import type { Db } from "./database.ts";
import { instanceSettings } from "./schema.ts";

/**
 * Actor ids are built from the origin and remote servers keep them forever,
 * so a database stays bound to the origin it first ran with. Starting it
 * under another origin (a forgotten ORIGIN or PORT) is refused.
 */
export async function bindDatabaseToOrigin(db: Db, origin: URL): Promise<void> {
  await db
    .insert(instanceSettings)
    .values({ key: "origin", value: origin.origin })
    .onConflictDoNothing();
  const [row] = await db.select().from(instanceSettings).where(eq(instanceSettings.key, "origin"));
  if (row && row.value !== origin.origin) {
    throw new OriginMismatchError(row.value, origin.origin);
  }
}

export class OriginMismatchError extends Error {
  constructor(stored: string, configured: string) {
    super(
      `this database belongs to ${stored}, not ${configured}: set ORIGIN=${stored} (or the PORT it was started with); actor ids cannot change once other servers know them`,
    );
    this.name = "OriginMismatchError";
  }
}
