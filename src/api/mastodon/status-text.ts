import { SOCIALDAPRES_TAG } from "../../federation/mappers/note.ts";

/**
 * How a Mastodon status names an encounter's people, the one convention (docs/API.md):
 * `@someone` or `@someone@their.server` anywhere in the text for people with a fediverse
 * account, and a last line `avec Marie, Paul` (or `with Marie and Paul`) for people without
 * one. Hashtags are the keywords. Pure: text in, parts out.
 */
export interface StatusParts {
  /** The text without the names line; mentions and hashtags stay where they were typed. */
  text: string;
  /** `@user` or `@user@host`, each once, in the order written. */
  mentions: string[];
  /** People named without an account, from the last line. */
  plainNames: string[];
  /** The hashtags, without `#` and without #Socialdapres (every encounter carries it). */
  keywords: string[];
}

const NAMES_LINE = /^\s*[«"]?\s*(?:avec|with)\s+(.+?)\s*[»"]?\s*$/iu;
const NAME_SEPARATORS = /\s*(?:,|;|\bet\b|\band\b|&)\s*/iu;
const MENTION = /(?<![\p{L}\p{N}_@/])@([a-z0-9_]{1,30}(?:@[a-z0-9.-]+(?::\d{1,5})?)?)/giu;
const HASHTAG = /(?<![\p{L}\p{N}_#&/])#([\p{L}\p{M}\p{N}_]{1,50})/gu;

export function parseStatusText(status: string): StatusParts {
  const lines = status.replace(/\r\n?/g, "\n").trimEnd().split("\n");
  const last = lines.at(-1) ?? "";
  const namesLine = lines.length > 0 ? NAMES_LINE.exec(last) : null;
  const plainNames: string[] = [];
  const body = namesLine ? lines.slice(0, -1).join("\n") : lines.join("\n");
  if (namesLine) {
    for (const name of (namesLine[1] as string).split(NAME_SEPARATORS)) {
      const trimmed = name.trim().replace(/[.!]+$/, "");
      // An @handle on the names line is a mention like any other.
      if (trimmed && !trimmed.startsWith("@")) plainNames.push(trimmed);
    }
  }
  const mentions = unique(
    [...status.matchAll(MENTION)].map((m) => `@${(m[1] as string).toLowerCase()}`),
  );
  const keywords = unique(
    [...status.matchAll(HASHTAG)]
      .map((m) => m[1] as string)
      .filter((k) => k.toLowerCase() !== SOCIALDAPRES_TAG.toLowerCase()),
  );
  // A text made only of the names line still says something: the line itself.
  const text = body.trim() || (namesLine ? last.trim() : "");
  return { text, mentions, plainNames: unique(plainNames), keywords };
}

function unique(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLocaleLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The 422 an app shows when a status names nobody, in the member's language. */
export function namesNobodyMessage(language: string): string {
  return language.toLowerCase().startsWith("fr")
    ? "Nomme la personne rencontrée : écris @pseudo@son.serveur si elle est sur le fédivers, ou termine par une ligne « avec Marie, Paul » pour les personnes sans compte."
    : "Name the person you met: write @name@their.server if they are on the fediverse, or end with a line “with Marie, Paul” for people without an account.";
}

/** The 422 for a photo without a description, in the member's language. */
export function undescribedPhotoMessage(language: string): string {
  return language.toLowerCase().startsWith("fr")
    ? "Décris la photo avant de publier (texte alternatif) : les personnes qui ne la voient pas la liront."
    : "Describe the photo before posting (alt text): people who cannot see it will read it.";
}
