import {
  type DocumentLoader,
  getAuthenticatedDocumentLoader,
  type HttpMessageSignaturesSpec,
  type HttpMessageSignaturesSpecDeterminer,
  type KvStore,
  kvCache,
} from "@fedify/fedify";
import {
  type AuthenticatedDocumentLoaderFactory,
  getDocumentLoader,
  preloadedContexts,
  type RemoteDocument,
} from "@fedify/vocab-runtime";
import { type Egress, EgressRefusedError } from "../egress/egress.ts";
import { bindKeysToOwners } from "./key-binding.ts";

export interface DocumentLoaders {
  /** Unsigned fetches of remote objects, cached for five minutes. */
  documentLoaderFactory: () => DocumentLoader;
  /** JSON-LD contexts: Fedify's preloaded ones, others fetched once and cached. */
  contextLoaderFactory: () => DocumentLoader;
  /** Fetches signed by one of our actors (servers in authorized-fetch mode require it). */
  authenticatedDocumentLoaderFactory: AuthenticatedDocumentLoaderFactory;
}

/**
 * How Fedify reads the fediverse: every fetch goes through the instance's egress policy
 * (which refuses private addresses at connection time, redirects included, outside tests)
 * and every loaded document passes the key-binding check (src/federation/key-binding.ts).
 * Fedify's own loaders do the fetching; they are told private addresses are allowed
 * because the egress policy, not a look-up made before the request, is what decides.
 */
export function createDocumentLoaders(deps: {
  kv: KvStore;
  egress: Egress;
  /** The HTTP signature format tried first with a server we have not talked to yet. */
  firstKnock: HttpMessageSignaturesSpec;
  /** Whether moderation refuses a URL: a blocked domain, a suspended account's documents. */
  refusesUrl?: (url: string) => Promise<boolean>;
}): DocumentLoaders {
  const { kv, egress } = deps;
  const refusesUrl = deps.refusesUrl ?? (() => Promise.resolve(false));
  // Refused like a private address: never fetched, never retried (src/federation/failures.ts).
  const refusing =
    (load: DocumentLoader): DocumentLoader =>
    async (url, options) => {
      if (await refusesUrl(url)) {
        throw new EgressRefusedError(
          `Refusing to fetch ${url}: its domain or account is blocked by this instance's moderators.`,
        );
      }
      return load(url, options);
    };
  const scoped = (load: DocumentLoader): DocumentLoader =>
    refusing((url, options) => egress.run(() => load(url, options)));
  const fetchDocument = scoped(getDocumentLoader({ allowPrivateAddress: true }));
  const contextLoader = staticPreloadedContexts(
    kvCache({ loader: fetchDocument, kv, kind: "context" }),
  );
  const documentLoader = kvCache({
    loader: bindKeysToOwners(fetchDocument, contextLoader),
    kv,
    kind: "object",
  });
  const specDeterminer = createSpecDeterminer(kv, deps.firstKnock);

  return {
    // Checked before the cache too: a document cached before the block is not served after it.
    documentLoaderFactory: () => refusing(documentLoader),
    contextLoaderFactory: () => contextLoader,
    authenticatedDocumentLoaderFactory: (identity) => {
      const signed = scoped(
        getAuthenticatedDocumentLoader(identity, { allowPrivateAddress: true, specDeterminer }),
      );
      return bindKeysToOwners(signed, contextLoader);
    },
  };
}

/**
 * The contexts Fedify ships (ActivityStreams, security, Mastodon's…) as one unchanging
 * document each, tagged "static": jsonld keeps what it resolved and processed of a context so
 * tagged across operations, and re-reads an untagged one at every expansion. Every activity
 * received is expanded three times and its signer's key once, each naming two or three of
 * these contexts; untagged, each expansion processed them anew.
 */
export function staticPreloadedContexts(load: DocumentLoader): DocumentLoader {
  const documents = new Map<string, RemoteDocument & { tag: "static" }>();
  return async (url, options) => {
    if (!Object.hasOwn(preloadedContexts, url)) return load(url, options);
    let document = documents.get(url);
    if (!document) {
      document = {
        contextUrl: null,
        document: preloadedContexts[url],
        documentUrl: url,
        tag: "static",
      };
      documents.set(url, document);
    }
    return document;
  };
}

/** Remembers, per server, which HTTP signature format it accepted (as Fedify does for deliveries). */
function createSpecDeterminer(
  kv: KvStore,
  firstKnock: HttpMessageSignaturesSpec,
): HttpMessageSignaturesSpecDeterminer {
  const keyOf = (origin: string) => ["_fedify", "httpMessageSignaturesSpec", origin] as const;
  return {
    async determineSpec(origin) {
      return (await kv.get<HttpMessageSignaturesSpec>(keyOf(origin))) ?? firstKnock;
    },
    async rememberSpec(origin, spec) {
      await kv.set(keyOf(origin), spec);
    },
  };
}
