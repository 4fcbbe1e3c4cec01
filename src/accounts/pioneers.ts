import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { members } from "../db/schema.ts";

/** The first members of an instance, by creation order, carry « pionnier·e ». */
export const PIONEER_COUNT = 100;

/** A pioneer's place: n° `rank` of the first `of`. */
export interface PioneerRank {
  rank: number;
  of: number;
}

export interface Pioneers {
  /** The member's rank among the first members, or undefined past the first PIONEER_COUNT. */
  rankOf(memberId: string): Promise<PioneerRank | undefined>;
}

/** The rank whose place is `position` (1 for the oldest member), when it is a pioneer's. */
export function pioneerRank(position: number): PioneerRank | undefined {
  return position >= 1 && position <= PIONEER_COUNT
    ? { rank: position, of: PIONEER_COUNT }
    : undefined;
}

export function createPioneers(db: Db): Pioneers {
  return {
    async rankOf(memberId) {
      // One query over the (created_at, id) index, stopping after the first PIONEER_COUNT + 1
      // older members: the cost does not grow with the instance. Ties in time go by id.
      const me = db
        .select({ createdAt: members.createdAt, id: members.id })
        .from(members)
        .where(eq(members.id, memberId))
        .as("me");
      const older = db
        .select({ one: sql`1`.as("one") })
        .from(members)
        .innerJoin(me, sql`(${members.createdAt}, ${members.id}) <= (${me.createdAt}, ${me.id})`)
        .limit(PIONEER_COUNT + 1)
        .as("older");
      const [row] = await db.select({ position: sql<number>`count(*)::int` }).from(older);
      return pioneerRank(row?.position ?? 0);
    },
  };
}
