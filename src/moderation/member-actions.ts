import { eq } from "drizzle-orm";
import type {
  AccountDeletion,
  AccountDeletionService,
} from "../accounts/account-deletion-service.ts";
import type { Member, MembersService } from "../accounts/members-service.ts";
import type { Db } from "../db/database.ts";
import { members } from "../db/schema.ts";
import type { Mailer, ModerationNoticeMail } from "../mail/mailer.ts";
import { DomainError } from "../shared/errors.ts";
import { type AuditLog, type AuditRecord, type Moderator, moderationReason } from "./audit-log.ts";

/** A suspension can be lifted for this long; after it, only the final deletion remains. */
export const SUSPENSION_REVERSIBLE_DAYS = 30;
const DAY_MS = 86_400_000;

export type MemberActionKind = "warn" | "freeze" | "unfreeze" | "suspend" | "unsuspend";

/** What the moderators see of a member on /admin/accounts/:account (never tracker data). */
export interface MemberModeration {
  username: string;
  role: Member["role"];
  createdAt: Date;
  deletedAt: Date | null;
  suspendedAt: Date | null;
  suspensionReason: string | null;
  frozenAt: Date | null;
  frozenReason: string | null;
  /** Until when the suspension can be lifted, when suspended. */
  reversibleUntil: Date | null;
  history: AuditRecord[];
}

export interface MemberActions {
  act(
    username: string,
    kind: MemberActionKind,
    reason: string | undefined,
    moderator: Moderator,
  ): Promise<MemberModeration>;
  /** Suspends for good: the account is deleted through the account deletion (Delete(Person)). */
  suspendFinal(
    username: string,
    reason: string | undefined,
    moderator: Moderator,
  ): Promise<AccountDeletion>;
  status(username: string): Promise<MemberModeration>;
  /** The warnings a member received, newest first: shown on their notifications page. */
  warningsOf(username: string): Promise<AuditRecord[]>;
}

export function createMemberActions(deps: {
  db: Db;
  members: Pick<MembersService, "findByUsername">;
  auditLog: AuditLog;
  accountDeletion: Pick<AccountDeletionService, "deleteAccount">;
  mailer: Pick<Mailer, "moderationNotice">;
  /** Ends every web session of a suspended member. */
  endSessions: (memberId: string) => Promise<unknown>;
  origin: URL;
  now?: () => Date;
}): MemberActions {
  const { db, auditLog } = deps;
  const now = deps.now ?? (() => new Date());

  async function find(username: string): Promise<Member> {
    const name = username.trim().replace(/^@/, "");
    const member = name ? await deps.members.findByUsername(name) : undefined;
    if (!member || member.deletedAt) {
      throw new DomainError("not_found", `No member named "${name.slice(0, 60)}" here.`, {
        field: "account",
      });
    }
    return member;
  }

  async function statusOf(member: Member): Promise<MemberModeration> {
    return {
      username: member.username,
      role: member.role,
      createdAt: member.createdAt,
      deletedAt: member.deletedAt,
      suspendedAt: member.suspendedAt,
      suspensionReason: member.suspensionReason,
      frozenAt: member.frozenAt,
      frozenReason: member.frozenReason,
      reversibleUntil: member.suspendedAt
        ? new Date(member.suspendedAt.getTime() + SUSPENSION_REVERSIBLE_DAYS * DAY_MS)
        : null,
      history: await auditLog.listFor("member", member.username, 50),
    };
  }

  function tell(member: Member, kind: ModerationNoticeMail["kind"], reason: string | null) {
    if (!member.email) return;
    const page = kind === "suspend" || kind === "unsuspend" ? "/login" : "/notifications";
    deps.mailer.moderationNotice({
      to: member.email,
      lang: member.language === "en" ? "en" : "fr",
      username: member.username,
      kind,
      ...(reason ? { reason } : {}),
      url: new URL(page, deps.origin).href,
    });
  }

  const changes = (kind: MemberActionKind, reason: string | null, at: Date) => {
    switch (kind) {
      case "freeze":
        return { frozenAt: at, frozenReason: reason };
      case "unfreeze":
        return { frozenAt: null, frozenReason: null };
      case "suspend":
        return { suspendedAt: at, suspensionReason: reason };
      case "unsuspend":
        return { suspendedAt: null, suspensionReason: null };
      default:
        return undefined;
    }
  };

  function assertPossible(member: Member, kind: MemberActionKind, at: Date) {
    const refuse = (message: string) => {
      throw new DomainError("conflict", message);
    };
    if (kind === "suspend" && member.role === "admin") {
      refuse(
        `@${member.username} is an admin: take the role away first (user role <name> member).`,
      );
    }
    if (kind === "unsuspend" && !member.suspendedAt)
      refuse(`@${member.username} is not suspended.`);
    if (kind === "unfreeze" && !member.frozenAt) refuse(`@${member.username} is not frozen.`);
    if (
      kind === "unsuspend" &&
      member.suspendedAt &&
      at.getTime() - member.suspendedAt.getTime() > SUSPENSION_REVERSIBLE_DAYS * DAY_MS
    ) {
      refuse(
        `@${member.username} was suspended more than ${SUSPENSION_REVERSIBLE_DAYS} days ago: the suspension can no longer be lifted, only made final.`,
      );
    }
  }

  return {
    async act(username, kind, rawReason, moderator) {
      const member = await find(username);
      const reason = moderationReason(rawReason);
      const at = now();
      assertPossible(member, kind, at);
      await db.transaction(async (tx) => {
        const set = changes(kind, reason, at);
        if (set) await tx.update(members).set(set).where(eq(members.id, member.id));
        await auditLog.record(
          {
            moderator,
            action: `member.${kind}`,
            subjectKind: "member",
            subject: member.username,
            reason,
          },
          tx,
        );
      });
      // A suspended member is logged out everywhere: their sessions end, their tokens stop working.
      if (kind === "suspend") await deps.endSessions(member.id);
      tell(member, kind, reason);
      return statusOf(await find(member.username));
    },

    async suspendFinal(username, rawReason, moderator) {
      const member = await find(username);
      const reason = moderationReason(rawReason);
      if (member.role === "admin") {
        throw new DomainError(
          "conflict",
          `@${member.username} is an admin: take the role away first.`,
        );
      }
      await auditLog.record({
        moderator,
        action: "member.suspend_final",
        subjectKind: "member",
        subject: member.username,
        reason,
      });
      tell(member, "suspend", reason);
      // The one way an account ends: its followers' servers receive Delete(Person).
      return deps.accountDeletion.deleteAccount(member.username);
    },

    async status(username) {
      return statusOf(await find(username));
    },

    async warningsOf(username) {
      const history = await auditLog.listFor("member", username, 20);
      return history.filter((r) => r.action === "member.warn");
    },
  };
}
