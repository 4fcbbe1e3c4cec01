import { describe, expect, it } from "vitest";
import {
  htmlToPlainText,
  MAX_REMOTE_HTML_LENGTH,
  sanitizeRemoteHtml,
} from "../src/shared/sanitize-html.ts";

const REL = 'rel="nofollow noopener noreferrer"';

describe("sanitizeRemoteHtml", () => {
  it("takes bidi embeddings, overrides and isolates out of the text, written raw or as entities", () => {
    expect(
      sanitizeRemoteHtml(
        '<p>Hi \u202Eevil <a href="https://m.example/@x">\u2067link\u2069</a> &#x202E;after &#8238;end</p>',
      ),
    ).toBe(`<p>Hi evil <a ${REL} href="https://m.example/@x">link</a> after end</p>`);
    // The marks right-to-left text needs stay.
    expect(sanitizeRemoteHtml("<p>\u05E9\u05DC\u05D5\u05DD\u200F 12</p>")).toBe(
      "<p>\u05E9\u05DC\u05D5\u05DD\u200F 12</p>",
    );
    expect(htmlToPlainText("<p>a \u202Eb &#x202D;c</p>")).toBe("a b c");
  });

  it("keeps Mastodon's markup: paragraphs, breaks, mentions, hashtags, emphasis, lists, quotes, code", () => {
    const html =
      '<p>Hi <span class="h-card"><a href="https://m.example/@bea" class="u-url mention">@<span>bea</span></a></span>' +
      ' <a href="https://m.example/tags/cafe" class="mention hashtag" rel="tag">#<span>cafe</span></a><br>' +
      "<strong>s</strong><em>e</em><b>b</b><i>i</i><u>u</u></p>" +
      "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>q</p></blockquote><pre><code>x &lt; y</code></pre>";
    expect(sanitizeRemoteHtml(html)).toBe(
      `<p>Hi <span class="h-card"><a ${REL} href="https://m.example/@bea" class="u-url mention">@<span>bea</span></a></span>` +
        ` <a ${REL.replace(/"$/, ' tag"')} href="https://m.example/tags/cafe" class="mention hashtag">#<span>cafe</span></a><br />` +
        "<strong>s</strong><em>e</em><b>b</b><i>i</i><u>u</u></p>" +
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>q</p></blockquote><pre><code>x &lt; y</code></pre>",
    );
  });

  it("drops scripts, styles, iframes and other active content with what they contain", () => {
    const nasty = [
      "<script>alert(1)</script>",
      "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
      "<style>body{display:none}</style>",
      '<iframe src="https://evil.example">fallback</iframe>',
      '<object data="x.swf">o</object><embed src="x.swf">',
      "<noscript><p>ns</p></noscript>",
      "<svg><script>alert(1)</script><a href='https://x.example'>svg</a></svg>",
      "<math><mi xlink:href='javascript:alert(1)'>m</mi></math>",
      "<template><p>t</p></template>",
      "<textarea>ta</textarea>",
    ].join("");
    expect(sanitizeRemoteHtml(`<p>ok</p>${nasty}<p>end</p>`)).toBe("<p>ok</p><p>end</p>");
  });

  it("drops event handlers, styles, ids, unknown classes and attributes", () => {
    expect(
      sanitizeRemoteHtml(
        '<p onclick="x()" style="color:red" id="a" class="big"><span class="invisible evil" onmouseover="y()">t</span></p>',
      ),
    ).toBe('<p><span class="invisible">t</span></p>');
    expect(sanitizeRemoteHtml('<img src="x" onerror="alert(1)"><video src="v">')).toBe("");
  });

  it("keeps only absolute http(s) links, always with rel=nofollow noopener noreferrer, never a target", () => {
    const links = [
      '<a href="javascript:alert(1)">1</a>',
      '<a href="JaVaScRiPt:alert(1)">2</a>',
      '<a href="  javascript:alert(1)">3</a>',
      '<a href="java&#x09;script:alert(1)">4</a>',
      '<a href="data:text/html;base64,PHNjcmlwdD4=">5</a>',
      '<a href="vbscript:x">6</a>',
      '<a href="//evil.example/x">7</a>',
      '<a href="/users/bea/followers">8</a>',
      '<a href="mailto:a@b.example">9</a>',
    ];
    for (const link of links) {
      expect(sanitizeRemoteHtml(link), link).toMatch(
        /^<a rel="nofollow noopener noreferrer">\d<\/a>$/,
      );
    }
    expect(
      sanitizeRemoteHtml(
        '<a href="https://ok.example/a b?q=1" target="_blank" rel="me noopener" class="u-url">ok</a>',
      ),
    ).toBe(`<a ${REL} href="https://ok.example/a%20b?q=1" class="u-url">ok</a>`);
  });

  it("cannot be tricked by broken or nested markup", () => {
    expect(sanitizeRemoteHtml("<scr<script>ipt>alert(1)</script>")).not.toMatch(/<script/i);
    expect(sanitizeRemoteHtml('<p title="a"><a href="https://x.example" "><b>x</b>')).toBe(
      `<p><a ${REL} href="https://x.example/"><b>x</b></a></p>`,
    );
    expect(sanitizeRemoteHtml("<!--<script>alert(1)</script>--><p>c</p>")).toBe("<p>c</p>");
    expect(sanitizeRemoteHtml("<![CDATA[<script>alert(1)</script>]]>")).not.toMatch(/<script/i);
    expect(sanitizeRemoteHtml('<p>"quotes" & <ampersands></p>')).toBe('<p>"quotes" &amp; </p>');
    // Deep nesting is flattened instead of costing unbounded work.
    const deep = `${"<span>".repeat(10_000)}deep${"</span>".repeat(10_000)}`;
    expect(sanitizeRemoteHtml(deep)).toContain("deep");
  });

  it("cuts input beyond its bound before parsing", () => {
    const huge = `<p>${"a".repeat(MAX_REMOTE_HTML_LENGTH * 3)}</p>`;
    const started = performance.now();
    const clean = sanitizeRemoteHtml(huge);
    expect(clean.length).toBeLessThanOrEqual(MAX_REMOTE_HTML_LENGTH + "</p>".length);
    expect(performance.now() - started).toBeLessThan(2_000);
    // A tag cut in half at the bound does not survive as markup.
    const cut = `${"a".repeat(MAX_REMOTE_HTML_LENGTH - 10)}<a href="javascript:alert(1)">x</a>`;
    expect(sanitizeRemoteHtml(cut)).not.toMatch(/javascript|<a /);
  });
});

describe("htmlToPlainText", () => {
  it("keeps the words, with paragraphs and line breaks as newlines, entities decoded", () => {
    expect(
      htmlToPlainText(
        "<p>Glad &amp; <b>happy</b> &lt;3<br>line two</p><p>don&apos;t &#39;stop&#39; &quot;now&quot;</p>",
      ),
    ).toBe("Glad & happy <3\nline two\n\ndon't 'stop' \"now\"");
  });

  it("never carries the text of scripts or styles", () => {
    expect(htmlToPlainText("<p>a</p><script>alert(1)</script><style>p{}</style>b")).toBe("a\n\nb");
  });

  it("reassembles the link Mastodon shortens with invisible spans", () => {
    expect(
      htmlToPlainText(
        '<a href="https://kde.org/donate/"><span class="invisible">https://</span><span class="">kde.org/donate/</span><span class="invisible"></span></a>',
      ),
    ).toBe("https://kde.org/donate/");
  });
});
