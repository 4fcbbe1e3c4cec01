import { describe, expect, it } from "vitest";
import {
  CSV_HEADER,
  formatDomainPoliciesCsv,
  parseDomainPoliciesCsv,
} from "../../src/moderation/domain-policies-csv.ts";
import { coveringCandidates, hostCovers, normalizeHost } from "../../src/moderation/hosts.ts";

describe("domain policy hosts", () => {
  it("normalizes what an admin types, and refuses what is not a domain", () => {
    expect(normalizeHost(" Example.COM. ")).toBe("example.com");
    expect(normalizeHost("https://Social.Example/@bea")).toBe("social.example");
    expect(normalizeHost("*.spam.example")).toBe("spam.example");
    expect(normalizeHost("localhost:8080")).toBe("localhost:8080");
    for (const bad of [
      "",
      "exa mple.com",
      "@bea@example.com",
      "example..com",
      "-a.com",
      "a.com:99999",
    ]) {
      expect(() => normalizeHost(bad), bad).toThrow(/not a domain name|port/);
    }
  });

  it("covers subdomains, not look-alikes; a port narrows to that port", () => {
    expect(hostCovers("example.com", "example.com")).toBe(true);
    expect(hostCovers("example.com", "a.b.example.com")).toBe(true);
    expect(hostCovers("example.com", "example.com:8443")).toBe(true);
    expect(hostCovers("example.com", "notexample.com")).toBe(false);
    expect(hostCovers("example.com", "example.com.evil.net")).toBe(false);
    expect(hostCovers("localhost:8080", "localhost:8080")).toBe(true);
    expect(hostCovers("localhost:8080", "localhost:9090")).toBe(false);
  });

  it("lists every policy host that could cover a host", () => {
    expect(coveringCandidates("a.example.com")).toEqual(["a.example.com", "example.com", "com"]);
    expect(coveringCandidates("a.local:81")).toEqual([
      "a.local:81",
      "local:81",
      "a.local",
      "local",
    ]);
  });
});

describe("Mastodon's domain block CSV", () => {
  it("writes Mastodon's header and quotes what needs it", () => {
    const csv = formatDomainPoliciesCsv([
      {
        id: "1",
        host: "spam.example",
        severity: "limit",
        publicReason: 'spam, "ads"',
        privateComment: "never exported",
        createdBy: null,
        createdAt: new Date(),
      },
    ]);
    expect(csv).toBe(`${CSV_HEADER}\nspam.example,silence,false,false,"spam, ""ads""",false\n`);
  });

  it("reads good lines and names each bad one with its line number", () => {
    const parsed = parseDomainPoliciesCsv(
      [
        CSV_HEADER,
        "bad.example,suspend,true,false,harassment,false",
        "",
        'quiet.example,silence,false,false,"a reason, with a comma",false',
        ",suspend,false,false,,false",
        "odd.example,noop,false,false,,false",
        "nosev.example",
      ].join("\r\n"),
    );
    expect(parsed.policies).toEqual([
      { line: 2, input: { host: "bad.example", severity: "block", publicReason: "harassment" } },
      {
        line: 4,
        input: { host: "quiet.example", severity: "limit", publicReason: "a reason, with a comma" },
      },
      { line: 7, input: { host: "nosev.example", severity: "block", publicReason: "" } },
    ]);
    expect(parsed.errors).toEqual([
      { line: 5, error: "No domain in the #domain column." },
      { line: 6, error: expect.stringContaining('"noop" is not suspend or silence') },
    ]);
  });

  it("refuses a file without the header", () => {
    const parsed = parseDomainPoliciesCsv("bad.example,suspend\n");
    expect(parsed.policies).toEqual([]);
    expect(parsed.errors[0]).toMatchObject({ line: 1, error: expect.stringContaining("#domain") });
  });
});
