import { AsyncLocalStorage } from "node:async_hooks";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { isValidPublicIPv4Address, isValidPublicIPv6Address } from "@fedify/vocab-runtime";
import {
  Agent,
  buildConnector,
  Dispatcher,
  getGlobalDispatcher,
  setGlobalDispatcher,
  fetch as undiciFetch,
} from "undici";

/**
 * Every request the instance makes to other servers (deliveries, fetches of actors, keys and
 * Notes, WebFinger, later media) goes through one egress policy: bounded in time and size, and,
 * outside tests and local development, never to a private, loopback, link-local or otherwise
 * non-public address. The address is checked when the connection is opened, after DNS
 * resolution, so neither a redirect nor a DNS answer that changes between a check and the
 * request can reach the operator's internal network.
 */
export interface Egress {
  /** The undici dispatcher that applies the policy. */
  readonly dispatcher: Dispatcher;
  /** `fetch` through this policy. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /**
   * Runs `fn` so that the global `fetch` calls it makes (Fedify's deliveries and WebFinger
   * look-ups, which offer no way to pass a dispatcher) go through this policy too: each
   * bounded by the total timeout, and a POST whose URL already answered a server error,
   * 404, 410 or 429 in this run is not sent again (Fedify's second knock with the other
   * signature format would only hit a failing server twice): the first answer is repeated.
   */
  run<T>(fn: () => T): T;
  /** Refuses a URL whose host is, or resolves to, an address the policy forbids. */
  check(url: string | URL): Promise<void>;
  close(): Promise<void>;
}

export interface EgressOptions {
  /** Tests and local multi-instance trials only: lets requests reach private addresses. */
  allowPrivateAddress: boolean;
  /** Whether an address may be reached when private ones are not; the default is the public internet. */
  isPublicAddress?: (address: string) => boolean;
  /** DNS resolution, replaceable in tests. */
  lookup?: typeof dnsLookup;
  connectTimeoutMs?: number;
  /** Time to the response headers, and between two chunks of the body. */
  responseTimeoutMs?: number;
  /** Time for a whole request, connection, answer and body included. */
  totalTimeoutMs?: number;
  /** Largest response body read, in bytes. */
  maxResponseBytes?: number;
}

/** A request refused because of where it would go; never retried. */
export class EgressRefusedError extends Error {
  readonly code = "EGRESS_REFUSED";
  constructor(message: string) {
    super(message);
    this.name = "EgressRefusedError";
  }
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 30_000;
// A photo is at most 10 MiB; documents are far smaller.
const DEFAULT_MAX_RESPONSE_BYTES = 12 * 1024 * 1024;

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isValidPublicIPv4Address(address);
  if (family === 6) return isValidPublicIPv6Address(address);
  return false;
}

export function createEgress(options: EgressOptions): Egress {
  const allowed = options.isPublicAddress ?? isPublicAddress;
  const resolve = options.lookup ?? dnsLookup;
  const guard = !options.allowPrivateAddress;

  function refusal(host: string, address: string): EgressRefusedError {
    return new EgressRefusedError(
      host === address
        ? `Refusing to connect to ${address}: not a public internet address.`
        : `Refusing to connect to ${host}: it resolves to ${address}, not a public internet address.`,
    );
  }

  /** Resolves like `dns.lookup` and fails if any address is not allowed (all or nothing). */
  function guardedLookup(
    hostname: string,
    lookupOptions: { all?: boolean; family?: number | string },
    callback: (...args: unknown[]) => void,
  ): void {
    resolve(hostname, { ...lookupOptions, all: true } as never, (error, found) => {
      if (error) return callback(error);
      const addresses = found as unknown as LookupAddress[];
      const bad = addresses.find((a) => !allowed(a.address));
      if (bad) return callback(refusal(hostname, bad.address));
      if (addresses.length === 0)
        return callback(new EgressRefusedError(`${hostname} has no address.`));
      if (lookupOptions.all) return callback(null, addresses);
      const [first] = addresses as [LookupAddress];
      callback(null, first.address, first.family);
    });
  }

  const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const baseConnector = buildConnector({
    timeout: connectTimeout,
    ...(guard ? { lookup: guardedLookup as never } : {}),
  });
  const connector: buildConnector.connector = (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[|\]$/g, "");
    // An address literal is not looked up: check it here.
    if (guard && isIP(host) !== 0 && !allowed(host)) {
      return callback(refusal(host, host), null);
    }
    baseConnector(connectOptions, callback);
  };

  const responseTimeout = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  const dispatcher = new Agent({
    connect: connector,
    headersTimeout: responseTimeout,
    bodyTimeout: responseTimeout,
    maxResponseSize: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  });
  const totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  const scope = installScopedDispatcher();

  return {
    dispatcher,
    fetch: (input, init) =>
      undiciFetch(input, {
        ...(init as object),
        signal: bounded(init?.signal, totalTimeoutMs),
        dispatcher,
      }) as unknown as Promise<Response>,
    run: (fn) => scope.run({ dispatcher, totalTimeoutMs, failedPosts: new Map() }, fn),
    async check(url) {
      if (!guard) return;
      const { hostname, protocol } = new URL(url);
      if (protocol !== "https:" && protocol !== "http:") {
        throw new EgressRefusedError(`Refusing ${protocol} URLs: only http and https are fetched.`);
      }
      const host = hostname.replace(/^\[|\]$/g, "");
      if (isIP(host) !== 0) {
        if (!allowed(host)) throw refusal(host, host);
        return;
      }
      await new Promise<void>((done, fail) =>
        guardedLookup(host, {}, (error) => (error ? fail(error) : done())),
      );
    },
    close: () => dispatcher.close(),
  };
}

/** What a run inside the policy carries (see `Egress.run`). */
interface EgressScope {
  dispatcher: Dispatcher;
  totalTimeoutMs: number;
  /** POSTs of this run that failed in a way a second signature cannot fix, by URL. */
  failedPosts: Map<string, { status: number; statusText: string; headers: Headers }>;
}

/** The caller's signal, if any, and a deadline. */
function bounded(signal: AbortSignal | null | undefined, timeoutMs: number): AbortSignal {
  const deadline = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, deadline]) : deadline;
}

/** Answers that another knock with the other signature format would not change. */
const isFinalFailure = (status: number) =>
  status >= 500 || status === 404 || status === 410 || status === 429;

/**
 * The process's global dispatcher becomes one that hands each request to the egress policy
 * of the code that made it (an AsyncLocalStorage scope), and to the previous global
 * dispatcher outside any scope; the global `fetch` bounds each request made in a scope and
 * does not repeat a failed POST there. Installed once per process, on the first
 * `createEgress`: several instances in one process (tests) each keep their own policy.
 */
function installScopedDispatcher(): AsyncLocalStorage<EgressScope> {
  const slot = Symbol.for("socialdapres.egress.scope");
  const holder = globalThis as Record<symbol, AsyncLocalStorage<EgressScope> | undefined>;
  const existing = holder[slot];
  if (existing) return existing;
  const scope = new AsyncLocalStorage<EgressScope>();
  const fallback = getGlobalDispatcher();
  setGlobalDispatcher(new ScopedDispatcher(scope, fallback));
  const unscopedFetch = globalThis.fetch;
  globalThis.fetch = async function scopedFetch(input, init) {
    const current = scope.getStore();
    if (!current) return unscopedFetch(input, init);
    const request = input instanceof Request ? input : undefined;
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    const url = request?.url ?? String(input);
    const failed = method === "POST" ? current.failedPosts.get(url) : undefined;
    if (failed) {
      return new Response(null, {
        status: failed.status,
        statusText: failed.statusText,
        headers: failed.headers,
      });
    }
    const response = await unscopedFetch(input, {
      ...init,
      signal: bounded(init?.signal ?? request?.signal, current.totalTimeoutMs),
    });
    if (method === "POST" && isFinalFailure(response.status)) {
      current.failedPosts.set(url, {
        status: response.status,
        statusText: response.statusText,
        headers: new Headers(response.headers),
      });
    }
    return response;
  };
  holder[slot] = scope;
  return scope;
}

class ScopedDispatcher extends Dispatcher {
  readonly #scope: AsyncLocalStorage<EgressScope>;
  readonly #fallback: Dispatcher;

  constructor(scope: AsyncLocalStorage<EgressScope>, fallback: Dispatcher) {
    super();
    this.#scope = scope;
    this.#fallback = fallback;
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    return (this.#scope.getStore()?.dispatcher ?? this.#fallback).dispatch(options, handler);
  }

  // The fallback is shared by everything outside a scope: closing it is not ours to do.
  override close(): Promise<void> {
    return Promise.resolve();
  }

  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}
