/**
 * OAuth scopes as Mastodon defines them: a top-level scope (`read`) grants every
 * granular form under it (`read:accounts`), never the reverse. One home for the
 * rule, shared by bearer tokens from the CLI and from the OAuth flow.
 */
export const TOP_LEVEL_SCOPES = [
  "read",
  "write",
  "follow",
  "push",
  "profile",
  "admin:read",
  "admin:write",
] as const;

/** Scopes a token made with `npm run cli -- token create` carries. */
export const CLI_TOKEN_SCOPES = "read write follow";

/** `"read write:statuses"` → `["read", "write:statuses"]`, duplicates and blanks dropped. */
export function parseScopes(text: string): string[] {
  return [...new Set(text.split(/[\s+]+/).filter((scope) => scope.length > 0))];
}

/** Whether the granted scopes allow an endpoint that needs `required`. */
export function grantsScope(granted: readonly string[], required: string): boolean {
  if (granted.includes(required)) return true;
  // `admin:read:domain_blocks` is under `admin:read`; `read` never grants an admin scope.
  const parent = required.startsWith("admin:")
    ? required.split(":").slice(0, 2).join(":")
    : required.split(":")[0];
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

/** The granular scopes Mastodon defines (of its admin ones, those this server answers). */
const GRANULAR_SCOPES = new Set([
  "admin:read:accounts",
  "admin:write:accounts",
  "admin:read:domain_blocks",
  "admin:write:domain_blocks",
  ...[
    "accounts",
    "blocks",
    "bookmarks",
    "favourites",
    "filters",
    "follows",
    "lists",
    "mutes",
    "notifications",
    "search",
    "statuses",
  ].map((s) => `read:${s}`),
  ...[
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "statuses",
  ].map((s) => `write:${s}`),
]);

/** Every scope an app may register and ask for (what the server metadata advertises). */
export const SUPPORTED_SCOPES: readonly string[] = [...TOP_LEVEL_SCOPES, ...GRANULAR_SCOPES];

export function isKnownScope(scope: string): boolean {
  return SUPPORTED_SCOPES.includes(scope);
}

/** Whether every requested scope is one the app registered (a granular one under a registered parent counts). */
export function scopesWithin(requested: readonly string[], registered: readonly string[]): boolean {
  return requested.every((scope) => grantsScope(registered, scope));
}
