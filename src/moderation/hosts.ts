import { DomainError } from "../shared/errors.ts";

/**
 * Hosts as domain policies name them: a lowercased DNS name (or IPv4 address), without a
 * trailing dot, with a port only when one must be told apart (two test instances on
 * `localhost`). A policy for `example.com` covers `example.com` and every subdomain
 * (`a.example.com`), on any port, as Mastodon's domain blocks do; one for `localhost:8080`
 * covers that port only.
 */
const LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const HOST = new RegExp(`^${LABEL}(?:\\.${LABEL})*(?::\\d{1,5})?$`);
export const HOST_MAX = 253 + 6;

/** What a person typed (`Example.COM`, `https://example.com/`, `@x@example.com` no) → a host. */
export function normalizeHost(input: string): string {
  let text = input.trim().toLowerCase();
  // A URL is accepted for its host: admins paste links.
  if (/^https?:\/\//.test(text)) text = URL.parse(text)?.host ?? "";
  text = text.replace(/\.$/, "").replace(/^\*\./, "");
  if (text.length === 0 || text.length > HOST_MAX || !HOST.test(text)) {
    throw new DomainError(
      "invalid",
      `"${input.slice(0, 80)}" is not a domain name: write it as example.com (letters, digits, dots and dashes; subdomains are covered).`,
      { field: "host" },
    );
  }
  const port = /:(\d+)$/.exec(text)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw new DomainError("invalid", `The port in "${input.slice(0, 80)}" is not 1 to 65535.`, {
      field: "host",
    });
  }
  return text;
}

/** Whether a policy for `policyHost` covers an actor or URL on `host` (both normalized). */
export function hostCovers(policyHost: string, host: string): boolean {
  const candidate = policyHost.includes(":") ? host : withoutPort(host);
  return candidate === policyHost || candidate.endsWith(`.${policyHost}`);
}

const withoutPort = (host: string) => host.replace(/:\d+$/, "");

/** The policy hosts that could cover `host`: itself and each parent, with and without port. */
export function coveringCandidates(host: string): string[] {
  const lower = host.toLowerCase();
  const port = /:\d+$/.exec(lower)?.[0] ?? "";
  const labels = withoutPort(lower).split(".");
  const names = labels.map((_, i) => labels.slice(i).join("."));
  return [...names.map((n) => `${n}${port}`), ...(port ? names : [])];
}
