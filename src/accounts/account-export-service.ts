import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { and, desc, eq, gt, lt, ne, type SQL, sql } from "drizzle-orm";
import { accountExports, members } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { isUuid } from "../shared/input.ts";
import { type AccountArchiveDeps, buildAccountArchive } from "./account-archive.ts";

export type AccountExport = typeof accountExports.$inferSelect;

/** How long an archive can be downloaded; then the file and its row go. */
export const EXPORT_LIFETIME_MS = 7 * 86_400_000;
/** One archive asked for per member per day. */
export const EXPORT_INTERVAL_MS = 86_400_000;
/** How long a worker may build one archive before another takes it over. */
const BUILD_LEASE_MS = 10 * 60_000;

export interface AccountExportService {
  /** Asks for an archive, built in the background; refused when one was asked today. */
  request(username: string): Promise<AccountExport>;
  /** The member's archives not yet expired, newest first. */
  list(username: string): Promise<AccountExport[]>;
  /** A ready archive's bytes, for its own member only; undefined for anyone else. */
  download(username: string, id: string): Promise<{ bytes: Buffer; fileName: string } | undefined>;
  /** The worker's pass: builds the archives asked for, removes the expired ones. */
  runPending(): Promise<{ built: number; failed: number; removed: number }>;
  /** Every archive of a member, rows and files (their account is deleted). */
  eraseAll(memberId: string): Promise<number>;
  /** The archive of a member, built now (the CLI's `user export`). */
  buildArchive(username: string): Promise<Uint8Array>;
}

export function createAccountExportService(
  deps: AccountArchiveDeps & {
    /** Where archives are kept: `DATA_DIR/exports`, never served as media. */
    directory: string;
  },
): AccountExportService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const pathOf = (fileKey: string) => join(deps.directory, `${fileKey}.zip`);
  const fileName = (username: string, at: Date) =>
    `${username}-export-${at.toISOString().slice(0, 10)}.zip`;

  async function claimOne(): Promise<(AccountExport & { username: string }) | undefined> {
    const at = now();
    const [claimed] = await db
      .update(accountExports)
      .set({ claimedUntil: new Date(at.getTime() + BUILD_LEASE_MS) })
      .where(
        eq(
          accountExports.id,
          sql`(select id from account_exports where state = 'pending'
               and (claimed_until is null or claimed_until < ${at.toISOString()}::timestamptz)
               order by created_at limit 1 for update skip locked)`,
        ),
      )
      .returning();
    if (!claimed) return undefined;
    const [member] = await db
      .select({ username: members.username })
      .from(members)
      .where(eq(members.id, claimed.memberId));
    return { ...claimed, username: member?.username ?? "" };
  }

  async function remove(where: SQL | undefined): Promise<number> {
    const gone = await db.delete(accountExports).where(where).returning();
    for (const row of gone) {
      if (row.fileKey) await rm(pathOf(row.fileKey), { force: true });
    }
    return gone.length;
  }
  const removeExpired = () => remove(lt(accountExports.expiresAt, now()));

  return {
    async request(username) {
      const { member } = await deps.members.requireByUsername(username);
      const at = now();
      const [recent] = await db
        .select()
        .from(accountExports)
        .where(
          and(
            eq(accountExports.memberId, member.id),
            ne(accountExports.state, "failed"),
            gt(accountExports.createdAt, new Date(at.getTime() - EXPORT_INTERVAL_MS)),
          ),
        )
        .limit(1);
      if (recent) {
        const next = new Date(recent.createdAt.getTime() + EXPORT_INTERVAL_MS);
        throw new DomainError(
          "conflict",
          `One archive a day: you asked for one already; ask again after ${next.toISOString().slice(0, 16).replace("T", " ")} UTC.`,
        );
      }
      const [row] = await db
        .insert(accountExports)
        .values({
          id: randomUUID(),
          memberId: member.id,
          createdAt: at,
          expiresAt: new Date(at.getTime() + EXPORT_LIFETIME_MS),
        })
        .returning();
      if (!row) throw new Error("the export row was not written");
      return row;
    },

    async list(username) {
      const { member } = await deps.members.requireByUsername(username);
      return db
        .select()
        .from(accountExports)
        .where(and(eq(accountExports.memberId, member.id), gt(accountExports.expiresAt, now())))
        .orderBy(desc(accountExports.createdAt))
        .limit(10);
    },

    async download(username, id) {
      if (!isUuid(id)) return undefined;
      const { member } = await deps.members.requireByUsername(username);
      const [row] = await db
        .select()
        .from(accountExports)
        .where(and(eq(accountExports.id, id), eq(accountExports.memberId, member.id)));
      if (row?.state !== "ready" || !row.fileKey || row.expiresAt < now()) return undefined;
      const bytes = await readFile(pathOf(row.fileKey)).catch(() => undefined);
      return bytes && { bytes, fileName: fileName(member.username, row.createdAt) };
    },

    async runPending() {
      let built = 0;
      let failed = 0;
      for (let job = await claimOne(); job; job = await claimOne()) {
        try {
          const bytes = await buildAccountArchive(deps, job.username);
          const fileKey = randomBytes(32).toString("base64url");
          await mkdir(deps.directory, { recursive: true, mode: 0o700 });
          await writeFile(pathOf(fileKey), bytes, { mode: 0o600 });
          await db
            .update(accountExports)
            .set({ state: "ready", fileKey, sizeBytes: bytes.length, readyAt: now() })
            .where(eq(accountExports.id, job.id));
          built++;
        } catch (error) {
          await db
            .update(accountExports)
            .set({ state: "failed", error: (error as Error).message.slice(0, 500) })
            .where(eq(accountExports.id, job.id));
          failed++;
        }
      }
      return { built, failed, removed: await removeExpired() };
    },

    eraseAll: (memberId) => remove(eq(accountExports.memberId, memberId)),
    buildArchive: (username) => buildAccountArchive(deps, username),
  };
}
