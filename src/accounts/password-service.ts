import { eq } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { members } from "../db/schema.ts";
import type { Member, MembersService } from "./members-service.ts";
import { assertAcceptablePassword, generatePassword, type PasswordHashing } from "./passwords.ts";

/**
 * A member's new password, whoever sets it: the member (/settings/password), a reset link
 * (src/accounts/password-reset-service.ts) or an admin (`npm run cli -- user password`).
 * A new password ends the member's web sessions: all of them, or all but the one that
 * changed it.
 */
export interface PasswordService {
  /**
   * The hash of a new password, once it follows the rule (a DomainError "invalid" otherwise).
   * Throws `PasswordHashingBusyError` when too many hashes are running.
   */
  prepare(password: string): Promise<string>;
  /** Stores the hash and ends the member's web sessions but `keepSessionId`; how many ended. */
  store(memberId: string, passwordHash: string, keepSessionId?: string): Promise<number>;
  /**
   * The admin's reset: the password given, or a new random one (returned once); every web
   * session of the member ends.
   */
  set(
    username: string,
    password?: string,
  ): Promise<{ member: Member; generatedPassword?: string; endedSessions: number }>;
}

export function createPasswordService(deps: {
  db: Db;
  passwords: Pick<PasswordHashing, "hash">;
  members: Pick<MembersService, "requireByUsername">;
  /** Ends the member's web sessions but one (src/web/session.ts). */
  endSessions(memberId: string, exceptId?: string): Promise<number>;
}): PasswordService {
  const { db } = deps;

  async function prepare(password: string) {
    assertAcceptablePassword(password);
    return deps.passwords.hash(password);
  }

  async function store(memberId: string, passwordHash: string, keepSessionId?: string) {
    await db.update(members).set({ passwordHash }).where(eq(members.id, memberId));
    return deps.endSessions(memberId, keepSessionId);
  }

  return {
    prepare,
    store,
    async set(username, password) {
      const { member } = await deps.members.requireByUsername(username);
      const generatedPassword = password === undefined ? generatePassword() : undefined;
      const hash = await prepare(password ?? (generatedPassword as string));
      const endedSessions = await store(member.id, hash);
      return { member, generatedPassword, endedSessions };
    },
  };
}
