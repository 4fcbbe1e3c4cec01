import { describe, expect, it } from "vitest";
import { languageOf, texts } from "../../src/exposure/weekly-question-texts.ts";
import { directMessageHtml } from "../../src/federation/weekly-question-delivery.ts";
import { localUrls } from "../../src/shared/local-urls.ts";

const urls = localUrls(new URL("https://a.example"));

describe("the direct messages' words and HTML", () => {
  it("asks in the member's language, French by default, with the product's « tu »", () => {
    expect(texts(languageOf("fr")).question).toBe(
      "Durant les 7 derniers jours, as-tu fait des rencontres satisfaisantes ? Réponds « oui » (ou « oui 2 », le nombre de rencontres) ou « non » à ce message, en mention privée.",
    );
    expect(texts(languageOf("en")).question).toMatch(
      /^During the last 7 days, did you have satisfying encounters\?/,
    );
    expect(languageOf("de")).toBe("fr");
    // As the founding question, the messages say « tu », as every page of the site.
    for (const text of [
      texts("fr").notUnderstood,
      texts("fr").linkRequest("@bea@a.example"),
      texts("fr").linked("@instance@a.example"),
      texts("fr").notPrivate,
    ]) {
      expect(text).not.toMatch(/\b(vous|votre|vos|répondez|ignorez-le|abonnez-vous)\b/i);
      expect(text).toMatch(/\b(tu|toi|ton|ta|tes|réponds|ignore-le|abonne-toi)\b/i);
    }
  });

  it("acknowledges « oui 2 », « oui » and « non » in both languages", () => {
    expect(texts("fr").recorded({ answer: "yes", count: 2 })).toBe(
      "Noté : 2 rencontres satisfaisantes cette semaine.",
    );
    expect(texts("fr").recorded({ answer: "yes", count: 1 })).toBe(
      "Noté : 1 rencontre satisfaisante cette semaine.",
    );
    expect(texts("fr").recorded({ answer: "no" })).toBe(
      "Noté : pas de rencontre satisfaisante cette semaine.",
    );
    expect(texts("en").recorded({ answer: "yes", count: 2 })).toBe(
      "Noted: 2 satisfying encounters this week.",
    );
    expect(texts("en").recorded({ answer: "yes", count: null })).toBe(
      "Noted: satisfying encounters this week.",
    );
    expect(texts("fr").status("equilibre")).toBe("Ton suivi cette semaine : équilibré·e.");
  });

  it("puts the mention first, the member's handle as a mention link, and the link last, escaped", () => {
    const html = directMessageHtml(
      {
        kind: "link-request",
        noteIri: "https://a.example/activities/link-request/1",
        memberId: "m",
        toActorIri: "https://m.example/users/rita",
        language: "en",
        paragraphs: [texts("en").linkRequest("@bea@a.example"), "Second <line>"],
        mentions: [{ handle: "@bea@a.example", username: "bea" }],
        link: { label: texts("en").linkFormLabel, href: "https://a.example/tracker?x=<y>" },
      },
      { handle: "@rita@m.example", profile: "https://m.example/@rita" },
      urls,
    );
    expect(html).toBe(
      '<p><span class="h-card"><a href="https://m.example/@rita" class="u-url mention">@<span>rita@m.example</span></a></span> The account <span class="h-card"><a href="https://a.example/@bea" class="u-url mention">@<span>bea@a.example</span></a></span> asks to link this account, to receive the weekly question here. If that is you, reply “yes” to this message, as a private mention. Otherwise ignore it: you will receive nothing else.</p><p>Second &lt;line&gt;</p><p>Settings, after logging in: <a href="https://a.example/tracker?x=&lt;y&gt;">https://a.example/tracker?x=&lt;y&gt;</a></p>',
    );
  });
});
