import { asc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { MEMBER_ROLES, type MemberRole, members } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import type { Member } from "./members-service.ts";
import { type PioneerRank, pioneerRank } from "./pioneers.ts";

export { MEMBER_ROLES, type MemberRole };

/** Admins run the instance; moderators decide who joins. */
export const isAdmin = (member: Pick<Member, "role"> | undefined): boolean =>
  member?.role === "admin";
export const isStaff = (member: Pick<Member, "role"> | undefined): boolean =>
  member?.role === "admin" || member?.role === "moderator";

export const isMemberRole = (value: unknown): value is MemberRole =>
  MEMBER_ROLES.some((role) => role === value);

/** A member as the admin's list shows them: no private data, only what running it needs. */
export interface MemberListing {
  id: string;
  username: string;
  displayName: string;
  role: MemberRole;
  createdAt: Date;
  pioneer: PioneerRank | undefined;
}

export interface RolesService {
  /**
   * Gives the member this role. The last admin cannot be made something else (a conflict):
   * the instance would have nobody to run it.
   */
  setRole(username: string, role: MemberRole): Promise<Member>;
  /** Members oldest first, with their pioneer rank; `offset` pages on. */
  list(limit: number, offset?: number): Promise<MemberListing[]>;
}

export function createRolesService(deps: {
  db: Db;
  findByUsername(username: string): Promise<Member | undefined>;
}): RolesService {
  const { db } = deps;
  return {
    async setRole(username, role) {
      if (!isMemberRole(role)) {
        throw new DomainError(
          "invalid",
          `Role "${role}" is not one of ${MEMBER_ROLES.join(", ")}.`,
        );
      }
      const member = await deps.findByUsername(username);
      if (!member) throw new DomainError("not_found", `No member named "${username}".`);
      return db.transaction(async (tx) => {
        // The admins' rows are locked: two admins demoting each other at once cannot both win.
        const admins = await tx
          .select({ id: members.id })
          .from(members)
          .where(eq(members.role, "admin"))
          .for("update");
        const lastAdmin = admins.length === 1 && admins[0]?.id === member.id;
        if (lastAdmin && role !== "admin") {
          throw new DomainError(
            "conflict",
            `@${member.username} is the last admin: make another member admin first.`,
          );
        }
        const [updated] = await tx
          .update(members)
          .set({ role })
          .where(eq(members.id, member.id))
          .returning();
        if (!updated) throw new DomainError("not_found", `No member named "${username}".`);
        return updated;
      });
    },

    async list(limit, offset = 0) {
      const rows = await db
        .select({
          id: members.id,
          username: members.username,
          displayName: members.displayName,
          role: members.role,
          createdAt: members.createdAt,
          position: sql<number>`(row_number() over (order by ${members.createdAt}, ${members.id}))::int`,
        })
        .from(members)
        .where(isNull(members.deletedAt))
        .orderBy(asc(members.createdAt), asc(members.id))
        .limit(limit)
        .offset(offset);
      return rows.map(({ position, ...row }) => ({ ...row, pioneer: pioneerRank(position) }));
    },
  };
}
