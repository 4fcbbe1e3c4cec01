import { DomainError, errorChain } from "../shared/errors.ts";

/** Why an account could not be looked up: each is the asker's to fix, not the server's fault. */
export type LookupFailureReason = "not_found" | "unreachable" | "private_address" | "not_an_actor";

export class ActorLookupError extends DomainError {
  readonly reason: LookupFailureReason;
  /** The cause in a few words, e.g. `host social.example does not resolve`. */
  readonly explanation: string;

  constructor(query: string, reason: LookupFailureReason, explanation: string) {
    super("not_found", `No fediverse account found at "${query}": ${explanation}.`);
    this.name = "ActorLookupError";
    this.reason = reason;
    this.explanation = explanation;
  }
}

/** `https://host/.well-known/webfinger?resource=acct:user@host` for `@user@host` or `acct:user@host`. */
export function webFingerUrl(handle: string): string {
  const acct = handle.replace(/^acct:/, "").replace(/^@/, "");
  const host = acct.slice(acct.lastIndexOf("@") + 1);
  return `https://${host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${acct}`)}`;
}

interface ErrorFields {
  name?: string;
  code?: string;
  message?: string;
  hostname?: string;
  address?: string;
  url?: URL | string;
  response?: { status?: number };
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "no answer in time",
  UND_ERR_CONNECT_TIMEOUT: "no answer in time",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  CERT_HAS_EXPIRED: "its TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "its TLS certificate is self-signed",
  ERR_TLS_CERT_ALTNAME_INVALID: "its TLS certificate is for another name",
};

/**
 * What a document loader's error means, by its shape (Fedify's `FetchError` and `UrlError`,
 * undici's `fetch failed` with a system error as its cause), so it holds for any loader.
 */
export function explainFetchFailure(
  error: unknown,
  url?: string,
): { reason: LookupFailureReason; explanation: string } | undefined {
  const chain = errorChain<ErrorFields>(error);
  const host = (url && URL.parse(url)?.host) || hostOf(chain) || "its server";
  const dns = chain.find((e) => e.code === "ENOTFOUND" || e.code === "EAI_AGAIN");
  if (dns) {
    return {
      reason: "unreachable",
      explanation: `host ${dns.hostname ?? host} does not resolve`,
    };
  }
  const refused = chain.find((e) => e.name === "UrlError" || e.name === "EgressRefusedError");
  if (refused) {
    return {
      reason: "private_address",
      explanation: `${host} is on a private or local address, which this server does not contact`,
    };
  }
  const network = chain.find((e) => e.code !== undefined && e.code in NETWORK_ERRORS);
  if (network) {
    return {
      reason: "unreachable",
      explanation: `${host} cannot be reached: ${NETWORK_ERRORS[network.code as string]}`,
    };
  }
  if (chain.some((e) => e.name === "TimeoutError" || e.name === "AbortError")) {
    return { reason: "unreachable", explanation: `${host} did not answer in time` };
  }
  const status = chain.find((e) => typeof e.response?.status === "number")?.response?.status;
  if (status === 404 || status === 410) {
    return {
      reason: "not_found",
      explanation: `${host} has no such account (HTTP ${status})`,
    };
  }
  if (status !== undefined) {
    return {
      reason: "unreachable",
      explanation: `${host} answered HTTP ${status}`,
    };
  }
  return undefined;
}

function hostOf(chain: ErrorFields[]): string | undefined {
  for (const e of chain) {
    const url = e.url ? URL.parse(String(e.url)) : null;
    if (url) return url.host;
  }
  return chain.find((e) => e.hostname)?.hostname;
}
