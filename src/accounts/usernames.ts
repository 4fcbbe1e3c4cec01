import { DomainError } from "../shared/errors.ts";

const USERNAME_PATTERN = /^[a-z0-9_]{1,30}$/;

/**
 * Names that would impersonate the instance or collide with paths and
 * well-known accounts on fediverse servers.
 */
const RESERVED_USERNAMES = new Set([
  "admin",
  "administrator",
  "root",
  "system",
  "instance",
  "actor",
  "socialdapres",
  "support",
  "help",
  "moderator",
  "mod",
  "staff",
  "abuse",
  "postmaster",
  "webmaster",
  "hostmaster",
  "security",
  "noreply",
  "no_reply",
  "api",
  "oauth",
  "users",
  "tags",
  "inbox",
  "outbox",
  "about",
  "settings",
  "login",
  "logout",
  "signup",
  "register",
  "nodeinfo",
  "well_known",
  "media",
  "static",
  "public",
]);

/** What is wrong with a wished-for username, if anything (the rule `normalizeUsername` applies). */
export function usernameProblem(input: string): "invalid" | "reserved" | undefined {
  const username = input.trim().replace(/^@/, "").toLowerCase();
  if (!USERNAME_PATTERN.test(username)) return "invalid";
  if (RESERVED_USERNAMES.has(username)) return "reserved";
  return undefined;
}

/** Usernames are compared lowercase; the stored form is the lowercase one. */
export function normalizeUsername(input: string): string {
  const username = input.trim().replace(/^@/, "").toLowerCase();
  const problem = usernameProblem(input);
  if (problem === "invalid") {
    throw new DomainError(
      "invalid",
      `Username "${input}" is not valid: use 1 to 30 letters a–z, digits or underscores.`,
    );
  }
  if (problem === "reserved") {
    throw new DomainError("invalid", `Username "${username}" is reserved: choose another one.`);
  }
  return username;
}
