import { describe, expect, it } from "vitest";
import { languageOf, texts } from "../../src/exposure/weekly-question-texts.ts";
import { directMessageHtml } from "../../src/federation/weekly-question-delivery.ts";

describe("the direct messages' words and HTML", () => {
  it("asks in the member's language, French by default", () => {
    expect(texts(languageOf("fr")).question).toBe(
      "Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ? Réponds « oui » (ou « oui 2 ») ou « non ».",
    );
    expect(texts(languageOf("en")).question).toMatch(
      /^During the last 7 days, did you have satisfying encounters\?/,
    );
    expect(languageOf("de")).toBe("fr");
  });

  it("puts the mention first and the form link last, escaped", () => {
    const html = directMessageHtml(
      {
        noteIri: "https://a.example/activities/weekly-question/1",
        toActorIri: "https://m.example/users/bea",
        text: texts("en").question,
        linkLabel: texts("en").formLabel,
        link: "https://a.example/tracker?x=<y>",
      },
      "@bea@m.example",
      "https://m.example/@bea",
    );
    expect(html).toBe(
      '<p><span class="h-card"><a href="https://m.example/@bea" class="u-url mention">@bea@m.example</a></span> During the last 7 days, did you have satisfying encounters? Reply “yes” (or “yes 2”) or “no”.</p><p>Or fill in the form: <a href="https://a.example/tracker?x=&lt;y&gt;">https://a.example/tracker?x=&lt;y&gt;</a></p>',
    );
  });
});
