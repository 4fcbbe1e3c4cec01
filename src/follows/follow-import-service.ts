import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { RemoteActorRecord } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { followImports, members } from "../db/schema.ts";
import type { Logger } from "../shared/logger.ts";
import type { FollowsService } from "./follows-service.ts";
import { type ParsedFollowing, parseFollowingCsv } from "./mastodon-csv.ts";

export interface ImportProgress {
  pending: number;
  done: number;
  failed: number;
  /** The accounts that could not be followed, and why (the latest first, at most 50). */
  failures: Array<{ line: number; handle: string; error: string }>;
}

export interface FollowImportService {
  /**
   * Reads a following list (Mastodon's CSV) and queues each account for the worker; nothing
   * is looked up or sent here. The lines that are not addresses are returned with their number.
   */
  importCsv(
    username: string,
    csv: string,
  ): Promise<{ queued: number; errors: ParsedFollowing["errors"] }>;
  progress(username: string): Promise<ImportProgress>;
  /** The worker's pass: looks up and follows the queued accounts (each Follow goes by the queue). */
  runPending(limit?: number): Promise<{ done: number; failed: number }>;
}

const LEASE_MS = 5 * 60_000;

export function createFollowImportService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  follows: Pick<FollowsService, "follow">;
  /** Finds an account on its server (src/federation/remote-lookup.ts). */
  lookupActor: (query: string) => Promise<RemoteActorRecord>;
  logger: Logger;
}): FollowImportService {
  const { db } = deps;

  async function claimOne() {
    const [claimed] = await db
      .update(followImports)
      .set({ claimedUntil: sql`now() + ${`${LEASE_MS} milliseconds`}::interval` })
      .where(
        eq(
          followImports.id,
          sql`(select id from follow_imports where state = 'pending'
               and (claimed_until is null or claimed_until < now())
               order by created_at, line limit 1 for update skip locked)`,
        ),
      )
      .returning();
    return claimed;
  }

  return {
    async importCsv(username, csv) {
      const { member } = await deps.members.requireByUsername(username);
      const parsed = parseFollowingCsv(csv);
      if (parsed.accounts.length > 0) {
        await db.insert(followImports).values(
          parsed.accounts.map((account) => ({
            id: randomUUID(),
            memberId: member.id,
            handle: account.handle,
            line: account.line,
          })),
        );
      }
      return { queued: parsed.accounts.length, errors: parsed.errors };
    },

    async progress(username) {
      const { member } = await deps.members.requireByUsername(username);
      const counts = await db
        .select({ state: followImports.state, n: sql<number>`count(*)::int` })
        .from(followImports)
        .where(eq(followImports.memberId, member.id))
        .groupBy(followImports.state);
      const count = (state: string) => counts.find((c) => c.state === state)?.n ?? 0;
      const failures = await db
        .select()
        .from(followImports)
        .where(and(eq(followImports.memberId, member.id), eq(followImports.state, "failed")))
        .orderBy(sql`${followImports.createdAt} desc, ${followImports.line}`)
        .limit(50);
      return {
        pending: count("pending"),
        done: count("done"),
        failed: count("failed"),
        failures: failures.map((f) => ({ line: f.line, handle: f.handle, error: f.error ?? "" })),
      };
    },

    async runPending(limit = 100) {
      let done = 0;
      let failed = 0;
      for (let i = 0; i < limit; i++) {
        const row = await claimOne();
        if (!row) break;
        try {
          const [member] = await db
            .select({ username: members.username })
            .from(members)
            .where(eq(members.id, row.memberId));
          if (!member) throw new Error("the member is gone");
          const target = await deps.lookupActor(`@${row.handle}`);
          await deps.follows.follow(member.username, target);
          await db.update(followImports).set({ state: "done" }).where(eq(followImports.id, row.id));
          done++;
        } catch (error) {
          const message = (error as Error).message.slice(0, 300);
          await db
            .update(followImports)
            .set({ state: "failed", error: message })
            .where(eq(followImports.id, row.id));
          failed++;
        }
      }
      if (done + failed > 0) deps.logger.info({ done, failed }, "imported follows");
      return { done, failed };
    },
  };
}
