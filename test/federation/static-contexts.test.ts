import { Note } from "@fedify/vocab";
import type { DocumentLoader } from "@fedify/vocab-runtime";
import { describe, expect, it } from "vitest";
import { staticPreloadedContexts } from "../../src/federation/document-loaders.ts";

const AS = "https://www.w3.org/ns/activitystreams";

describe("staticPreloadedContexts", () => {
  const asked: string[] = [];
  const elsewhere: DocumentLoader = async (url) => {
    asked.push(url);
    return { contextUrl: null, documentUrl: url, document: { "@context": {} } };
  };
  const loader = staticPreloadedContexts(elsewhere);

  it("answers a context Fedify ships with one unchanging document tagged static", async () => {
    const first = await loader(AS);
    expect(first).toMatchObject({ documentUrl: AS, tag: "static" });
    expect((first.document as { "@context": object })["@context"]).toBeDefined();
    expect(await loader(AS)).toBe(first);
    expect(asked).toEqual([]);
  });

  it("leaves any other context to the loader underneath, untagged", async () => {
    const url = "https://example.org/ns/custom";
    expect(await loader(url)).not.toHaveProperty("tag");
    expect(await loader(url)).not.toHaveProperty("tag");
    expect(asked).toEqual([url, url]);
  });

  it("parses notes as before: the same values, whatever was parsed before", async () => {
    const json = {
      "@context": [AS, "https://w3id.org/security/v1", { sensitive: "as:sensitive" }],
      type: "Note",
      id: "https://remote.example/notes/1",
      content: "Un café #Socialdapres",
      sensitive: true,
      tag: [{ type: "Hashtag", name: "#Socialdapres", href: "https://remote.example/tags/x" }],
    };
    for (let i = 0; i < 3; i++) {
      const note = await Note.fromJsonLd(json, { contextLoader: loader, documentLoader: loader });
      expect(note.id?.href).toBe(json.id);
      expect(note.content?.toString()).toBe(json.content);
      expect(note.sensitive).toBe(true);
    }
    expect(asked.filter((url) => url !== "https://example.org/ns/custom")).toEqual([]);
  });
});
