import { describe, expect, it } from "vitest";
import { parseAnswer } from "../../src/exposure/model/answer-parser.ts";
import { htmlToPlainText } from "../../src/shared/sanitize-html.ts";

describe("parseAnswer: the weekly question's answer, as people type it", () => {
  it.each([
    ["oui", { answer: "yes" }],
    ["Oui", { answer: "yes" }],
    ["OUI !", { answer: "yes" }],
    ["yes", { answer: "yes" }],
    ["Yeah", { answer: "yes" }],
    ["yep.", { answer: "yes" }],
    ["ouais", { answer: "yes" }],
    ["oui 2", { answer: "yes", count: 2 }],
    ["Oui, 3 !", { answer: "yes", count: 3 }],
    ["yes 1", { answer: "yes", count: 1 }],
    ["yes: 12", { answer: "yes", count: 12 }],
    ["  oui   2  ", { answer: "yes", count: 2 }],
    ["oui 🎉", { answer: "yes" }],
    ["🎉 oui 2 🎉", { answer: "yes", count: 2 }],
    ["oui, avec Paul et Zoé", { answer: "yes" }],
    ["non", { answer: "no" }],
    ["Non.", { answer: "no" }],
    ["NO", { answer: "no" }],
    ["nope", { answer: "no" }],
    ["nan", { answer: "no" }],
    ["non merci", { answer: "no" }],
    ["non 😢", { answer: "no" }],
    ["@instance oui 2", { answer: "yes", count: 2 }],
    ["@instance@example.org non", { answer: "no" }],
  ])("%j → %j", (text, expected) => {
    expect(parseAnswer(text)).toEqual(expected);
  });

  it("compares without accents or case: « OÙI » and « Nön » are read as oui and non", () => {
    expect(parseAnswer("OÙI")).toEqual({ answer: "yes" });
    expect(parseAnswer("Nön")).toEqual({ answer: "no" });
  });

  it.each([
    "",
    "   ",
    "bonjour",
    "peut-être",
    "2 oui",
    "oui 0",
    "oui 100",
    "non 2",
    "oui et non",
    "yes no",
    "ouiii",
    "nonnn",
    "🎉",
    "o",
  ])("%j is not understood (the member gets the link to the form)", (text) => {
    expect(parseAnswer(text)).toBeNull();
  });
});

describe("a Note's content as the parser reads it (htmlToPlainText)", () => {
  it("drops Mastodon's mention markup and keeps the words", () => {
    const html =
      '<p><span class="h-card" translate="no"><a href="https://a.example/users/instance" class="u-url mention">@<span>instance</span></a></span> Oui, 3 !</p>';
    expect(parseAnswer(htmlToPlainText(html))).toEqual({ answer: "yes", count: 3 });
  });

  it("decodes entities and line breaks", () => {
    expect(htmlToPlainText("<p>oui&nbsp;2<br/>merci &amp; bravo &#233;</p>")).toBe(
      "oui\u00a02\nmerci & bravo é",
    );
  });
});
