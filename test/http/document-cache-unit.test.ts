import { describe, expect, it } from "vitest";
import { createDocumentCache } from "../../src/http/document-cache.ts";

/** A generation read the test answers by hand. */
function manualReads() {
  const pending: Array<(generation: number) => void> = [];
  return {
    read: () => new Promise<number>((resolve) => pending.push(resolve)),
    started: () => pending.length,
    answer(index: number, generation: number) {
      pending[index]?.(generation);
    },
  };
}

const doc = (text: string) => ({
  status: 200,
  headers: [["content-type", "application/activity+json"]] as Array<[string, string]>,
  body: Buffer.from(text),
});

describe("the document cache", () => {
  it("asks the database once for the requests waiting together, never with a read begun before them", async () => {
    const reads = manualReads();
    const cache = createDocumentCache({ readGeneration: reads.read });
    const first = cache.generation();
    expect(reads.started()).toBe(1);
    // Arrived while the first read runs: they wait for a read begun after them.
    const second = cache.generation();
    const third = cache.generation();
    expect(reads.started()).toBe(1);
    reads.answer(0, 7);
    expect(await first).toBe(7);
    await Promise.resolve();
    await Promise.resolve();
    expect(reads.started()).toBe(2);
    reads.answer(1, 8);
    expect(await second).toBe(8);
    expect(await third).toBe(8);
  });

  it("serves a document only under the generation it was made in", async () => {
    let generation = 1;
    const cache = createDocumentCache({ readGeneration: async () => generation });
    const g1 = await cache.generation();
    cache.set("actor", g1, doc("one"));
    expect(cache.get("actor", await cache.generation())?.body.toString()).toBe("one");
    generation = 2;
    const g2 = await cache.generation();
    expect(cache.get("actor", g2)).toBeUndefined();
    // A document made under generation 1, finished after generation 2 was seen: not kept.
    cache.set("actor", g1, doc("stale"));
    expect(cache.get("actor", g2)).toBeUndefined();
    cache.set("actor", g2, doc("two"));
    expect(cache.get("actor", g2)?.body.toString()).toBe("two");
  });

  it("keeps at most maxEntries documents, the least recently used going first", async () => {
    const cache = createDocumentCache({ readGeneration: async () => 1, maxEntries: 2 });
    cache.set("a", 1, doc("a"));
    cache.set("b", 1, doc("b"));
    cache.get("a", 1);
    cache.set("c", 1, doc("c"));
    expect(cache.size).toBe(2);
    expect(cache.get("b", 1)).toBeUndefined();
    expect(cache.get("a", 1)?.body.toString()).toBe("a");
  });
});
