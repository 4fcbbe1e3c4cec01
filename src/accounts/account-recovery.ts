import type { Db } from "../db/database.ts";
import type { Mailer } from "../mail/mailer.ts";
import {
  type AttemptCounters,
  createFailedAttemptLimiter,
} from "../shared/failed-attempt-limiter.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { createAccountTokens } from "./account-tokens.ts";
import { createEmailService, type EmailService } from "./email-service.ts";
import type { MembersService } from "./members-service.ts";
import { createPasswordResetService, type PasswordResetService } from "./password-reset-service.ts";
import { createPasswordService, type PasswordService } from "./password-service.ts";
import type { PasswordHashing } from "./passwords.ts";

/** A member's password, its reset by e-mail, and their e-mail address (src/services.ts). */
export interface AccountRecovery {
  memberPasswords: PasswordService;
  passwordResets: PasswordResetService;
  emails: EmailService;
}

/**
 * The account services that share the mailed links (`account_tokens`) and one mail budget:
 * each member receives at most 3 mails of each kind (reset, address check) an hour.
 */
export function createAccountRecovery(deps: {
  db: Db;
  urls: Pick<LocalUrls, "origin">;
  passwords: PasswordHashing;
  members: MembersService;
  mailer: Mailer;
  /** Where the mail budget counts (shared by every process of the instance). */
  attemptCounters: AttemptCounters;
  /** Ends the member's web sessions but one (src/web/session.ts). */
  endSessions(memberId: string, exceptId?: string): Promise<number>;
}): AccountRecovery {
  const { db, urls, mailer } = deps;
  const tokens = createAccountTokens(db);
  const budget = createFailedAttemptLimiter({
    counters: deps.attemptCounters,
    scope: "mail-budget",
    maxFailures: 3,
    windowMs: 3_600_000,
  });
  const memberPasswords = createPasswordService(deps);
  const emails = createEmailService({
    db,
    tokens,
    mailer,
    budget,
    verifyUrl: (token) => new URL(`/settings/email/verify/${token}`, urls.origin).href,
  });
  const passwordResets = createPasswordResetService({
    members: deps.members,
    emails,
    passwords: memberPasswords,
    tokens,
    mailer,
    budget,
    resetUrl: (token) => new URL(`/password/reset/${token}`, urls.origin).href,
  });
  return { memberPasswords, passwordResets, emails };
}
