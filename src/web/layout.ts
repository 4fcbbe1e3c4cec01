import type { Member } from "../accounts/members-service.ts";
import { isStaff } from "../accounts/roles-service.ts";
import { UNREAD_COUNT_CAP } from "../encounters/notifications-service.ts";
import { escapeHtml } from "../shared/html.ts";
import { INSTANCE_AVATAR_PATH } from "../shared/local-urls.ts";
import { type Language, translate } from "./i18n.ts";

export interface Frame {
  lang: Language;
  title: string;
  /** Escaped HTML. */
  body: string;
  instanceName: string;
  /** Extra elements for <head>, e.g. the ActivityPub alternate link. */
  head?: string;
  /** The logged-in member and their unread notifications; undefined for a visitor. */
  viewer?: { member: Member; unread: number };
  /** The request's path: the current link is marked, and the switches come back to it. */
  path: string;
  csrfField(): string;
  assets: { styleHref: string; scriptHref: string };
}

const OTHER: Record<Language, Language> = { fr: "en", en: "fr" };
const LANGUAGE_NAMES: Record<Language, string> = { fr: "Français", en: "English" };

function navLink(href: string, label: string, path: string, extra = ""): string {
  const pathname = path.split("?")[0];
  const current = pathname === href ? ' aria-current="page"' : "";
  return `<li><a href="${escapeHtml(href)}"${current}>${escapeHtml(label)}${extra}</a></li>`;
}

/** The header of every page: where a member goes, or how a visitor logs in or joins. */
function header(frame: Frame): string {
  const { lang, path, viewer } = frame;
  const t = (key: Parameters<typeof translate>[1]) => translate(lang, key);
  const next = encodeURIComponent(path);
  const links = viewer
    ? [
        navLink("/home", t("navHome"), path),
        navLink("/compose", t("navCompose"), path),
        navLink(
          "/notifications",
          t("navNotifications"),
          path,
          viewer.unread > 0
            ? ` <span class="badge">${viewer.unread >= UNREAD_COUNT_CAP ? `${UNREAD_COUNT_CAP - 1}+` : viewer.unread}<span class="visually-hidden"> ${escapeHtml(t("navUnread"))}</span></span>`
            : "",
        ),
        navLink("/tracker", t("navWeek"), path),
        navLink("/settings", t("navSettings"), path),
        // Admins and moderators: what they may do there (src/web/admin-pages.ts).
        ...(isStaff(viewer.member) ? [navLink("/admin", t("navAdmin"), path)] : []),
        `<li><form method="post" action="/logout">${frame.csrfField()}<button type="submit" class="link-button">${escapeHtml(t("navLogout"))}</button></form></li>`,
      ]
    : [
        navLink("/tags/socialdapres", "#Socialdapres", path),
        navLink("/login", t("navLogin"), path),
        navLink("/join", t("navJoin"), path),
      ];
  const other = OTHER[lang];
  links.push(
    `<li><a href="/language/${other}?next=${escapeHtml(next)}" hreflang="${other}" lang="${other}">${LANGUAGE_NAMES[other]}</a></li>`,
  );
  return `<header class="site"><nav aria-label="${escapeHtml(t("navLabel"))}">
<a class="brand" href="${viewer ? "/home" : "/"}">${escapeHtml(frame.instanceName)}</a>
<ul>${links.join("")}</ul>
</nav></header>`;
}

/**
 * The page frame shared by every HTML page; `body` and `head` must already be escaped
 * HTML. Every page works without its script, which only adds conveniences.
 */
export function layout(frame: Frame) {
  return `<!doctype html>
<html lang="${frame.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(frame.title)}</title>
<link rel="icon" type="image/png" href="${INSTANCE_AVATAR_PATH}">
<link rel="stylesheet" href="${frame.assets.styleHref}">
<script src="${frame.assets.scriptHref}" defer></script>
${frame.head ?? ""}
</head>
<body>
${header(frame)}
<main>
${frame.body}
</main>
</body>
</html>`;
}

/**
 * A cell of a `table.stacked` (style.css): on a phone each row becomes a block and the cell
 * shows its column's title above its content, from `data-label`. `html` is already escaped.
 */
export const stackedCell = (label: string, html: string) =>
  `<td data-label="${escapeHtml(label)}">${html}</td>`;
