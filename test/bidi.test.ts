import { describe, expect, it } from "vitest";
import { isolateBidi, stripBidiControls } from "../src/shared/bidi.ts";
import { bdiHtml, userTextHtml } from "../src/shared/html.ts";

/** U+202A–U+202E (embeddings, overrides, their pop) and U+2066–U+2069 (isolates, their pop). */
const CONTROLS = [
  "\u202A",
  "\u202B",
  "\u202C",
  "\u202D",
  "\u202E",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
];

describe("stripBidiControls", () => {
  it("removes every embedding, override and isolate, and nothing else", () => {
    for (const control of CONTROLS) {
      expect(stripBidiControls(`a${control}b${control}`)).toBe("ab");
    }
    expect(stripBidiControls("\u202Eevil")).toBe("evil");
    expect(stripBidiControls("Béa 東京 שלום")).toBe("Béa 東京 שלום");
  });

  it("keeps the marks right-to-left text needs (LRM, RLM, ALM)", () => {
    expect(stripBidiControls("שלום\u200F 123\u200E \u061Cx")).toBe("שלום\u200F 123\u200E \u061Cx");
  });
});

describe("isolateBidi", () => {
  it("puts the text, without controls of its own, between FSI and PDI", () => {
    expect(isolateBidi("\u202Eevil\u2069")).toBe("\u2068evil\u2069");
  });
});

describe("HTML of what people wrote", () => {
  it("escapes it and strips its bidi controls", () => {
    expect(userTextHtml("\u202E<b>x</b> & y")).toBe("&lt;b&gt;x&lt;/b&gt; &amp; y");
  });

  it("isolates it in <bdi> when it sits among our words", () => {
    expect(`Avec ${bdiHtml("\u202EMarie")}, Zoé`).toBe("Avec <bdi>Marie</bdi>, Zoé");
  });
});
