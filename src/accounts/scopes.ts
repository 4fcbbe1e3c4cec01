/**
 * OAuth scopes as Mastodon defines them: a top-level scope (`read`) grants every
 * granular form under it (`read:accounts`), never the reverse. One home for the
 * rule, shared by bearer tokens from the CLI and from the OAuth flow.
 */
export const TOP_LEVEL_SCOPES = ["read", "write", "follow", "push", "profile"] as const;

/** Scopes a token made with `npm run cli -- token create` carries. */
export const CLI_TOKEN_SCOPES = "read write follow";

/** `"read write:statuses"` → `["read", "write:statuses"]`, duplicates and blanks dropped. */
export function parseScopes(text: string): string[] {
  return [...new Set(text.split(/[\s+]+/).filter((scope) => scope.length > 0))];
}

/** Whether the granted scopes allow an endpoint that needs `required`. */
export function grantsScope(granted: readonly string[], required: string): boolean {
  if (granted.includes(required)) return true;
  const [parent] = required.split(":");
  // `follow` is a legacy umbrella Mastodon still honours for the follow-related granular scopes.
  if (parent !== undefined && required !== parent && granted.includes(parent)) return true;
  return FOLLOW_UMBRELLA.has(required) && granted.includes("follow");
}

const FOLLOW_UMBRELLA = new Set([
  "read:blocks",
  "write:blocks",
  "read:follows",
  "write:follows",
  "read:mutes",
  "write:mutes",
]);
