import { escapeHtml } from "../shared/html.ts";
import type { Language } from "./i18n.ts";

const STYLE = `
:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.5}
body{max-width:40rem;margin:0 auto;padding:1.5rem}
header a{text-decoration:none;font-weight:700}
.handle{color:GrayText;font-family:ui-monospace,monospace;overflow-wrap:anywhere}
.counts{display:flex;flex-wrap:wrap;gap:0 1.5rem}
.h-entry{border-top:1px solid GrayText;padding:1rem 0}
.h-entry img{max-width:100%;height:auto;border-radius:.3rem}
.meta,.reactions{color:GrayText;font-size:.9rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 1rem}dt{font-weight:600}dd{margin:0}
code{overflow-wrap:anywhere}
.profile-header{display:block;width:100%;height:auto;aspect-ratio:3/1;object-fit:cover;border-radius:.3rem}
.avatar{display:block;width:6rem;height:6rem;border-radius:50%;margin-top:-3rem;border:3px solid Canvas;position:relative}
.profile-header+.avatar{margin-left:1rem}.avatar:first-child{margin-top:0}
.profile-fields{border-block:1px solid GrayText;padding:.5rem 0}.profile-fields dd{overflow-wrap:anywhere}
ol.replies{list-style:none;padding:0}
.reply{border-top:1px solid GrayText;padding:.5rem 0}
.reply-avatar{width:3rem;height:3rem;border-radius:.3rem;vertical-align:middle;object-fit:cover}
.answering{color:GrayText;font-size:.9rem;margin:0}
`;

/**
 * The page frame shared by every HTML page; `body` and `head` must already be
 * escaped HTML. No script: every page works without JavaScript.
 */
export function layout(page: {
  lang: Language;
  title: string;
  body: string;
  instanceName: string;
  /** Extra elements for <head>, e.g. the ActivityPub alternate link. */
  head?: string;
}) {
  return `<!doctype html>
<html lang="${page.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
${page.head ?? ""}
</head>
<body>
<header><a href="/">${escapeHtml(page.instanceName)}</a></header>
<main>
${page.body}
</main>
</body>
</html>`;
}
