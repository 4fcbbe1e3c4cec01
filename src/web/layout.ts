import { escapeHtml } from "../shared/html.ts";
import type { Language } from "./i18n.ts";

const STYLE = `
:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.5}
body{max-width:40rem;margin:0 auto;padding:1.5rem}
header a{text-decoration:none;font-weight:700}
.handle{color:GrayText;font-family:ui-monospace,monospace}
.counts{display:flex;gap:1.5rem}
`;

/** The page frame shared by every HTML page; `body` must already be escaped HTML. */
export function layout(page: {
  lang: Language;
  title: string;
  body: string;
  instanceName: string;
}) {
  return `<!doctype html>
<html lang="${page.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><a href="/">${escapeHtml(page.instanceName)}</a></header>
<main>
${page.body}
</main>
</body>
</html>`;
}
