import { describe, expect, it } from "vitest";
import { namesNobodyMessage, parseStatusText } from "../../../src/api/mastodon/status-text.ts";

describe("the naming convention of a status", () => {
  it("mentions anywhere, hashtags as keywords, a last line « avec … » for people without an account", () => {
    expect(
      parseStatusText(
        "Café avec @antoine@other.example au marché #BrightMirror #Socialdapres\navec Marie, Paul et Léa",
      ),
    ).toEqual({
      text: "Café avec @antoine@other.example au marché #BrightMirror #Socialdapres",
      mentions: ["@antoine@other.example"],
      plainNames: ["Marie", "Paul", "Léa"],
      keywords: ["BrightMirror"],
    });
  });

  it("reads “with … and …” in English, local @names, ports, and ignores e-mail and URL @s", () => {
    const parts = parseStatusText(
      "Lunch with @Jo and @sam@localhost:8080, mail me at jo@example.org or see https://x.example/@bea\nwith Ana and Tom.",
    );
    expect(parts.mentions).toEqual(["@jo", "@sam@localhost:8080"]);
    expect(parts.plainNames).toEqual(["Ana", "Tom"]);
    expect(parts.text).not.toContain("with Ana");
  });

  it("a names line alone is the text too; an @handle on it is a mention, not a plain name", () => {
    expect(parseStatusText("« avec @bea, Marie »")).toEqual({
      text: "« avec @bea, Marie »",
      mentions: ["@bea"],
      plainNames: ["Marie"],
      keywords: [],
    });
  });

  it("names nobody when there is no mention and no names line", () => {
    const parts = parseStatusText("Une belle journée #soleil\nMarie était là");
    expect(parts.mentions).toEqual([]);
    expect(parts.plainNames).toEqual([]);
    expect(namesNobodyMessage("fr")).toContain("avec Marie, Paul");
    expect(namesNobodyMessage("en")).toContain("with Marie, Paul");
  });
});
