import type { Language } from "./i18n.ts";

/*
 * A browser's User-Agent in a few words ("Firefox · Linux"), for the member's list of
 * sessions: enough to recognise one's own devices, nothing more.
 */

const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\b(?:OPR|Opera)\//, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\b(?:Firefox|FxiOS)\//, "Firefox"],
  [/\b(?:Chrome|CriOS|Chromium)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

const UNKNOWN = { fr: "Navigateur inconnu", en: "Unknown browser" } as const;

export function browserSummary(userAgent: string | null, lang: Language): string {
  if (!userAgent) return UNKNOWN[lang];
  const browser =
    BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1] ??
    // A program that is not a browser names itself first: "curl/8.5", "Tusky/24".
    /^([A-Za-z][\w .-]{0,30}?)\//.exec(userAgent)?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (!browser) return system ?? UNKNOWN[lang];
  return system ? `${browser} · ${system}` : browser;
}
