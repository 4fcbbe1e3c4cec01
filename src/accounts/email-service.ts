import { and, eq, isNotNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/database.ts";
import { isUniqueViolation } from "../db/database-errors.ts";
import { members } from "../db/schema.ts";
import type { Mailer } from "../mail/mailer.ts";
import type { MailLanguage } from "../mail/messages.ts";
import { DomainError } from "../shared/errors.ts";
import type { AccountTokens } from "./account-tokens.ts";
import type { Member } from "./members-service.ts";

/** How long the link that checks a new address works. */
export const EMAIL_VERIFICATION_TTL_MS = 24 * 3_600_000;
export const EMAIL_MAX_LENGTH = 254;

const emailShape = z.email().max(EMAIL_MAX_LENGTH);

/** An address as stored (trimmed, lowercased), or undefined when it is not one. */
export function normalizeEmail(input: string): string | undefined {
  const email = input.trim().toLowerCase();
  return emailShape.safeParse(email).success ? email : undefined;
}

/** At most a few mails per member and purpose per window (see src/api/auth.ts's limiter). */
export interface MailBudget {
  retryAfter(key: string): Promise<number>;
  recordFailure(key: string): Promise<void>;
}

/**
 * A member's e-mail address, optional: set, changed or removed by the member, checked by a
 * link mailed to it when the instance sends mail (`email_verified_at`). Only a checked
 * address receives a password reset link: an address typed wrong, or someone else's, never
 * does.
 */
export interface EmailService {
  /**
   * Sets or changes the address, unchecked, and mails it the link that checks it. The same
   * address again changes nothing. DomainError "invalid" (not an address) or "conflict"
   * (another account has it).
   */
  set(memberId: string, email: string, lang: MailLanguage): Promise<"unchanged" | "changed">;
  remove(memberId: string): Promise<void>;
  /** Mails the check link again; false when there is nothing to check or no mail to send. */
  sendVerification(memberId: string, lang: MailLanguage): Promise<boolean>;
  /** Whether a check link is live (to show its confirmation button). */
  isVerificationLive(token: string): Promise<boolean>;
  /** Uses a check link: the member whose address it confirmed, or undefined. */
  verify(token: string): Promise<Member | undefined>;
  /** The member whose checked address this is. */
  findByVerifiedEmail(email: string): Promise<Member | undefined>;
}

export function createEmailService(deps: {
  db: Db;
  tokens: AccountTokens;
  mailer: Mailer;
  budget: MailBudget;
  verifyUrl(token: string): string;
  now?: () => Date;
}): EmailService {
  const { db, tokens, mailer } = deps;
  const now = deps.now ?? (() => new Date());

  const byId = async (memberId: string) => {
    const [member] = await db.select().from(members).where(eq(members.id, memberId));
    if (!member) throw new DomainError("not_found", "No such member.");
    return member;
  };

  async function sendVerification(memberId: string, lang: MailLanguage) {
    const member = await byId(memberId);
    if (!mailer.enabled || !member.email || member.emailVerifiedAt) return false;
    const key = `email_verification:${memberId}`;
    if ((await deps.budget.retryAfter(key)) > 0) return false;
    await deps.budget.recordFailure(key);
    const token = await tokens.issue(
      memberId,
      "email_verification",
      EMAIL_VERIFICATION_TTL_MS,
      member.email,
    );
    mailer.emailVerification({
      to: member.email,
      lang,
      username: member.username,
      verifyUrl: deps.verifyUrl(token),
    });
    return true;
  }

  return {
    async set(memberId, input, lang) {
      const email = normalizeEmail(input);
      if (!email) {
        throw new DomainError(
          "invalid",
          `Not an e-mail address: give one such as bea@example.org.`,
        );
      }
      const member = await byId(memberId);
      if (member.email === email) return "unchanged";
      try {
        await db
          .update(members)
          .set({ email, emailVerifiedAt: null })
          .where(eq(members.id, memberId));
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new DomainError("conflict", "Another account already has this address.");
        }
        throw error;
      }
      // Links mailed to the former address stop working.
      await tokens.revoke(memberId, "email_verification");
      await tokens.revoke(memberId, "password_reset");
      await sendVerification(memberId, lang);
      return "changed";
    },

    async remove(memberId) {
      await db
        .update(members)
        .set({ email: null, emailVerifiedAt: null })
        .where(eq(members.id, memberId));
      await tokens.revoke(memberId, "email_verification");
      // A reset link went to the address being removed: it stops working too.
      await tokens.revoke(memberId, "password_reset");
    },

    sendVerification,

    async isVerificationLive(token) {
      return (await tokens.find("email_verification", token)) !== undefined;
    },

    async verify(token) {
      const found = await tokens.consume("email_verification", token);
      if (!found?.email) return undefined;
      // Only the address the link went to, if the member still has it.
      const [member] = await db
        .update(members)
        .set({ emailVerifiedAt: now() })
        .where(and(eq(members.id, found.memberId), eq(members.email, found.email)))
        .returning();
      return member;
    },

    async findByVerifiedEmail(input) {
      const email = normalizeEmail(input);
      if (!email) return undefined;
      const [member] = await db
        .select()
        .from(members)
        .where(and(eq(sql`lower(${members.email})`, email), isNotNull(members.emailVerifiedAt)));
      return member;
    },
  };
}
