import type { Mailer } from "../mail/mailer.ts";
import type { MailLanguage } from "../mail/messages.ts";
import type { AccountTokens } from "./account-tokens.ts";
import type { EmailService, MailBudget } from "./email-service.ts";
import type { Member, MembersService } from "./members-service.ts";
import type { PasswordService } from "./password-service.ts";

/** How long a reset link works. */
export const PASSWORD_RESET_TTL_MS = 3_600_000;

/**
 * A forgotten password, by e-mail: a member asks with their username or their checked
 * address; a single-use link (256 random bits, stored as a digest, one hour, ended by a
 * newer one) goes to that address; the link's form sets a new password and ends every
 * session of the member. The asker never learns whether an account matched.
 */
export interface PasswordResetService {
  /**
   * Mails a reset link when `identifier` (a username, or an address with `@`) names a member
   * with a checked address, the instance sends mail, and that member has not received too
   * many links lately. Says nothing either way.
   */
  request(identifier: string, lang: MailLanguage): Promise<void>;
  /** The member a live link is for, without using it (to show its form). */
  check(token: string): Promise<Member | undefined>;
  /**
   * Uses the link: sets the new password (DomainError "invalid" when it breaks the rule,
   * the link kept) and ends every web session of the member. Undefined: the link is unknown,
   * used, replaced or expired.
   */
  complete(token: string, password: string): Promise<Member | undefined>;
}

export function createPasswordResetService(deps: {
  members: Pick<MembersService, "findByUsername" | "findById">;
  emails: Pick<EmailService, "findByVerifiedEmail">;
  passwords: Pick<PasswordService, "prepare" | "store">;
  tokens: AccountTokens;
  mailer: Mailer;
  budget: MailBudget;
  resetUrl(token: string): string;
}): PasswordResetService {
  const { tokens, mailer } = deps;

  async function memberOf(identifier: string) {
    const typed = identifier.trim();
    if (typed.length === 0 || typed.length > 320) return undefined;
    // "bea@example.org" is an address; "bea" and "@bea" are usernames.
    const member = /^[^@\s]+@/.test(typed)
      ? await deps.emails.findByVerifiedEmail(typed)
      : await deps.members.findByUsername(typed);
    return member?.email && member.emailVerifiedAt ? member : undefined;
  }

  return {
    async request(identifier, lang) {
      if (!mailer.enabled) return;
      const member = await memberOf(identifier);
      if (!member?.email) return;
      const key = `password_reset:${member.id}`;
      if ((await deps.budget.retryAfter(key)) > 0) return;
      await deps.budget.recordFailure(key);
      const token = await tokens.issue(member.id, "password_reset", PASSWORD_RESET_TTL_MS);
      mailer.passwordReset({
        to: member.email,
        lang,
        username: member.username,
        resetUrl: deps.resetUrl(token),
      });
    },

    async check(token) {
      const found = await tokens.find("password_reset", token);
      return found ? deps.members.findById(found.memberId) : undefined;
    },

    async complete(token, password) {
      // Hashed before the link is used: a refused or failed hash leaves the link working.
      const hash = await deps.passwords.prepare(password);
      const found = await tokens.consume("password_reset", token);
      if (!found) return undefined;
      await deps.passwords.store(found.memberId, hash);
      return deps.members.findById(found.memberId);
    },
  };
}
