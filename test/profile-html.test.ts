import { describe, expect, it } from "vitest";
import { profileFieldValueHtml, profileTextToHtml, wholeHttpUrl } from "../src/shared/html.ts";

const link = (href: string, shown: string, rel = "nofollow noopener noreferrer") =>
  `<a href="${href}" rel="${rel}">${shown}</a>`;

describe("a bio as HTML", () => {
  it("escapes everything, keeps line breaks and paragraphs", () => {
    expect(profileTextToHtml('<script>alert("x")</script> & co\nligne 2\n\n\nparagraphe')).toBe(
      "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co<br>ligne 2</p><p>paragraphe</p>",
    );
    expect(profileTextToHtml("")).toBe("");
    expect(profileTextToHtml("  \n\n ")).toBe("");
  });

  it("makes each http(s) URL a link, leaving the sentence's punctuation out", () => {
    expect(profileTextToHtml("Mon site : https://bea.example/blog. Et http://x.example!")).toBe(
      `<p>Mon site : ${link("https://bea.example/blog", "bea.example/blog")}. Et ${link("http://x.example", "x.example")}!</p>`,
    );
    // A closing parenthesis belongs to the URL only when the URL opened one.
    expect(profileTextToHtml("(voir https://fr.wikipedia.org/wiki/Lien_(informatique))")).toBe(
      `<p>(voir ${link("https://fr.wikipedia.org/wiki/Lien_(informatique)", "fr.wikipedia.org/wiki/Lien_(informatique)")})</p>`,
    );
    expect(profileTextToHtml("(https://bea.example)")).toBe(
      `<p>(${link("https://bea.example", "bea.example")})</p>`,
    );
  });

  it("never makes a link of another scheme, nor lets a URL break out of its attribute", () => {
    expect(profileTextToHtml("javascript:alert(1) data:text/html,<b>")).toBe(
      "<p>javascript:alert(1) data:text/html,&lt;b&gt;</p>",
    );
    expect(profileTextToHtml('https://x.example/?a=1&b="2"')).toBe(
      `<p>${link("https://x.example/?a=1&amp;b=", "x.example/?a=1&amp;b=")}&quot;2&quot;</p>`,
    );
  });
});

describe("a profile field's value as HTML", () => {
  it("is escaped text, or a rel=me link when it is one URL", () => {
    expect(profileFieldValueHtml("Lyon <3")).toBe("Lyon &lt;3");
    expect(profileFieldValueHtml("https://bea.example/")).toBe(
      link("https://bea.example/", "bea.example/", "me nofollow noopener noreferrer"),
    );
    // Text around a URL: not a URL.
    expect(profileFieldValueHtml("voir https://bea.example")).toBe("voir https://bea.example");
    expect(profileFieldValueHtml("javascript:alert(1)")).toBe("javascript:alert(1)");
  });

  it("wholeHttpUrl takes only a whole http(s) URL", () => {
    expect(wholeHttpUrl(" https://a.example/x ")).toBe("https://a.example/x");
    expect(wholeHttpUrl("ftp://a.example")).toBeUndefined();
    expect(wholeHttpUrl("https://")).toBeUndefined();
  });
});
