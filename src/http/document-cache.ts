/**
 * Serialized ActivityPub documents (an actor, a Note, a WebFinger answer) kept by this process,
 * so that a GET served before does not run Fedify's dispatcher and JSON-LD compaction again; and
 * the public pages as visitors get them (src/http/page-cache.ts), under the same generation.
 *
 * Never stale, whatever the number of processes: every entry is labelled with the database's
 * document generation read *before* the document was made, and served only while the generation
 * read for the request — by a query begun after the request arrived — is still that one. The
 * generation is raised in the same transaction as any change to what the documents are made of
 * (deferred triggers, migration `document_generation_triggers`), so a change committed before a
 * request arrived is always seen by it. Requests waiting at the same time share one such query
 * (a query already running when a request arrives is not enough: it may predate a commit the
 * request must see, so the request waits for the next one).
 */

export interface CachedDocument {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface DocumentCache {
  /** The database's document generation, read by a query begun after this call. */
  generation(): Promise<number>;
  get(key: string, generation: number): CachedDocument | undefined;
  /** Keeps a document made after `generation` was read (older generations are ignored). */
  set(key: string, generation: number, document: CachedDocument): void;
  /** How many documents are held (the tests and the benchmarks look). */
  readonly size: number;
}

export interface DocumentCacheOptions {
  readGeneration: () => Promise<number>;
  /** Documents held at most (least recently used dropped first); 2,000 by default. */
  maxEntries?: number;
  /** Bytes of bodies held at most; 16 MiB by default. */
  maxBytes?: number;
}

export function createDocumentCache(options: DocumentCacheOptions): DocumentCache {
  const maxEntries = options.maxEntries ?? 2_000;
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const entries = new Map<string, CachedDocument>();
  let bytes = 0;
  /** The generation the entries were made under; a newer one empties the cache. */
  let current = -1;

  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  const start = (): Promise<number> => {
    const read = options.readGeneration();
    running = read;
    const done = () => {
      if (running === read) running = undefined;
    };
    read.then(done, done);
    return read;
  };

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.body.length;
  };

  const advanceTo = (generation: number) => {
    if (generation <= current) return;
    current = generation;
    entries.clear();
    bytes = 0;
  };

  return {
    generation() {
      if (!running) return start();
      if (!queued) {
        const before = running;
        queued = before
          .then(
            () => undefined,
            () => undefined,
          )
          .then(() => {
            queued = undefined;
            return start();
          });
      }
      return queued;
    },
    get(key, generation) {
      advanceTo(generation);
      if (generation !== current) return undefined;
      const entry = entries.get(key);
      if (!entry) return undefined;
      // Most recently used last.
      entries.delete(key);
      entries.set(key, entry);
      return entry;
    },
    set(key, generation, document) {
      advanceTo(generation);
      if (generation !== current || document.body.length > maxBytes / 8) return;
      remove(key);
      entries.set(key, document);
      bytes += document.body.length;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        remove(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
