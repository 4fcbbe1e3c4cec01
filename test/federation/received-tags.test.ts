import { describe, expect, it } from "vitest";
import {
  embeddedObjectJson,
  hashtagsFromContent,
  hashtagsFromJson,
  tagNameFromHref,
} from "../../src/federation/mappers/received-tags.ts";

describe("hashtags as received", () => {
  it("reads the word of a tag link whatever its shape", () => {
    expect(tagNameFromHref("https://small.example?t=socialdapres")).toBe("socialdapres");
    expect(tagNameFromHref("https://small.example/?t=march%C3%A9")).toBe("marché");
    expect(tagNameFromHref("https://m.example/tags/Socialdapres")).toBe("Socialdapres");
    expect(tagNameFromHref("https://p.example/tag/caf%C3%A9")).toBe("café");
    expect(tagNameFromHref("https://d.example/t/x?page=2")).toBe("x");
    expect(tagNameFromHref("https://s.example/search?q=%23socialdapres")).toBe("socialdapres");
    expect(tagNameFromHref("https://m.example/socialdapres")).toBeUndefined();
    expect(tagNameFromHref("https://m.example/tags/%E0%A4%A")).toBe("%E0%A4%A");
    expect(tagNameFromHref("not a url")).toBeUndefined();
    expect(tagNameFromHref(null)).toBeUndefined();
  });

  it("reads Hashtag entries of `tag`: an array or one object, any Hashtag type spelling", () => {
    expect(
      hashtagsFromJson({
        tag: [
          { type: "Hashtag", name: "#A", href: "https://x.example/tags/a" },
          { type: "as:Hashtag", name: "B" },
          { type: "https://www.w3.org/ns/activitystreams#Hashtag", href: "https://x.example?t=c" },
          { type: "Emoji", name: ":blob:" },
        ],
      }),
    ).toEqual([
      { name: "A", href: "https://x.example/tags/a" },
      { name: "B", href: null },
      { name: "", href: "https://x.example?t=c" },
    ]);
    expect(hashtagsFromJson({ tag: { type: "Hashtag", name: "#solo" } })).toEqual([
      { name: "solo", href: null },
    ]);
    for (const junk of [null, "text", 42, [], { tag: "x" }, { tag: null }]) {
      expect(hashtagsFromJson(junk)).toEqual([]);
    }
  });

  it("reads rel=tag links of the content, not mentions or other links", () => {
    const html =
      '<p><a href="https://s.example?t=socialdapres" class="mention hashtag" rel="tag">#Socialdapres</a> ' +
      '<a href="https://m.example/tags/bright" class="mention hashtag">#<span>Bright</span></a> ' +
      '<span class="h-card"><a href="https://x.example/@bea" class="u-url mention">@bea</a></span> ' +
      '<a href="https://x.example/page" rel="nofollow">#notatag</a></p>';
    expect(hashtagsFromContent(html)).toEqual([
      { name: "Socialdapres", href: "https://s.example?t=socialdapres" },
      { name: "Bright", href: "https://m.example/tags/bright" },
    ]);
    expect(hashtagsFromContent("no links #here")).toEqual([]);
  });

  it("reads only the embedded object being handled", () => {
    const note = { id: "https://s.example/n/1", type: "Note" };
    expect(embeddedObjectJson({ type: "Create", object: note }, note.id)).toBe(note);
    expect(embeddedObjectJson({ type: "Create", object: note }, "https://s.example/n/2")).toBe(
      undefined,
    );
    expect(embeddedObjectJson({ type: "Create", object: "https://s.example/n/1" }, note.id)).toBe(
      undefined,
    );
    expect(embeddedObjectJson(note, note.id)).toBe(note);
    expect(embeddedObjectJson("junk", note.id)).toBe(undefined);
  });
});
