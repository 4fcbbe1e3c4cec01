import { z } from "zod";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./passwords.ts";
import { DISPLAY_NAME_MAX } from "./profile-input.ts";
import { normalizeUsername, usernameProblem } from "./usernames.ts";

export const JOIN_REASON_MAX = 1000;
export const EMAIL_MAX = 254;

/** The sign-up form's fields, as typed. */
export interface JoinForm {
  username?: string;
  displayName?: string;
  password?: string;
  passwordConfirm?: string;
  email?: string;
  /** The charter's checkbox: any value means ticked. */
  charter?: string;
  /** Why they want to join: required when applications are reviewed. */
  reason?: string;
}

export type JoinField = keyof JoinForm;

/** What is wrong with one field: the pages say it in the visitor's language. */
export type JoinProblem =
  | "required"
  | "too_long"
  | "too_short"
  | "invalid"
  | "reserved"
  | "taken"
  /** The name of a deleted account: reserved for good. */
  | "deleted"
  | "mismatch";

export type JoinErrors = Partial<Record<JoinField, JoinProblem>>;

/** A checked form: the username normalized, the e-mail lowercased (null when none). */
export interface JoinInput {
  username: string;
  displayName: string;
  password: string;
  email: string | null;
  reason: string;
}

const emailSchema = z.email().max(EMAIL_MAX);

/**
 * Checks a sign-up form, every field at once, so the page shows every error together. The
 * username follows the one rule of src/accounts/usernames.ts; the password the members'.
 */
export function checkJoinForm(
  form: JoinForm,
  options: { reasonRequired: boolean },
): { ok: true; value: JoinInput } | { ok: false; errors: JoinErrors } {
  const errors: JoinErrors = {};
  const username = (form.username ?? "").trim();
  const displayName = (form.displayName ?? "").trim();
  const password = form.password ?? "";
  const email = (form.email ?? "").trim().toLowerCase();
  const reason = (form.reason ?? "").replace(/\r\n?/g, "\n").trim();

  if (!username) errors.username = "required";
  else errors.username = usernameProblem(username);
  if (displayName.length > DISPLAY_NAME_MAX) errors.displayName = "too_long";
  if (!password) errors.password = "required";
  else if (password.length < PASSWORD_MIN_LENGTH) errors.password = "too_short";
  else if (password.length > PASSWORD_MAX_LENGTH) errors.password = "too_long";
  if (password && form.passwordConfirm !== password) errors.passwordConfirm = "mismatch";
  if (email.length > EMAIL_MAX) errors.email = "too_long";
  else if (email && !emailSchema.safeParse(email).success) errors.email = "invalid";
  if (!form.charter) errors.charter = "required";
  if (reason.length > JOIN_REASON_MAX) errors.reason = "too_long";
  else if (options.reasonRequired && !reason) errors.reason = "required";

  const found = Object.fromEntries(
    Object.entries(errors).filter(([, problem]) => problem !== undefined),
  ) as JoinErrors;
  if (Object.keys(found).length > 0) return { ok: false, errors: found };
  return {
    ok: true,
    value: {
      username: normalizeUsername(username),
      displayName,
      password,
      email: email || null,
      reason,
    },
  };
}
