import { describe, expect, it } from "vitest";
import { grantsScope, isKnownScope, parseScopes, scopesWithin } from "../../src/accounts/scopes.ts";

describe("OAuth scopes", () => {
  it("parses space- and plus-separated lists without duplicates", () => {
    expect(parseScopes("read  write+read follow")).toEqual(["read", "write", "follow"]);
    expect(parseScopes("")).toEqual([]);
  });

  it("lets a top-level scope grant its granular forms, never the reverse", () => {
    expect(grantsScope(["read"], "read:statuses")).toBe(true);
    expect(grantsScope(["read:statuses"], "read")).toBe(false);
    expect(grantsScope(["read:statuses"], "read:accounts")).toBe(false);
    expect(grantsScope(["write"], "read:statuses")).toBe(false);
    expect(grantsScope(["profile"], "profile")).toBe(true);
  });

  it("keeps the legacy follow umbrella for follow-related scopes only", () => {
    expect(grantsScope(["follow"], "write:follows")).toBe(true);
    expect(grantsScope(["follow"], "read:blocks")).toBe(true);
    expect(grantsScope(["follow"], "write:statuses")).toBe(false);
  });

  it("grants the admin scopes only through admin:read and admin:write", () => {
    expect(grantsScope(["admin:read"], "admin:read:domain_blocks")).toBe(true);
    expect(grantsScope(["admin:write"], "admin:write:accounts")).toBe(true);
    expect(grantsScope(["admin:write"], "admin:read:accounts")).toBe(false);
    expect(grantsScope(["read", "write"], "admin:read:domain_blocks")).toBe(false);
    expect(grantsScope(["read", "write"], "admin:write")).toBe(false);
  });

  it("knows Mastodon's scopes, and which requests stay within an app's", () => {
    expect(isKnownScope("write:media")).toBe(true);
    expect(isKnownScope("profile")).toBe(true);
    expect(isKnownScope("admin:read")).toBe(true);
    expect(isKnownScope("admin:read:reports")).toBe(false);
    expect(isKnownScope("read:everything")).toBe(false);
    expect(scopesWithin(["read:statuses", "write"], ["read", "write"])).toBe(true);
    expect(scopesWithin(["read", "write"], ["read"])).toBe(false);
    expect(scopesWithin(["read"], ["read:statuses"])).toBe(false);
  });
});
