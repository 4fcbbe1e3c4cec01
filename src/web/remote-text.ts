import type { ActorRow } from "../actors/actors-repository.ts";
import type { EncounterView } from "../encounters/encounters-repository.ts";

/**
 * What the text of a remote encounter already shows. Its author wrote the people and the
 * hashtags into it (a Socialdapres instance writes "Avec @antoine et Marie" and
 * "#Socialdapres #Marché"; Mastodon links mentions and hashtags in the text), so the lines
 * our renderer adds for a local encounter would say it all a second time. They are kept
 * only for what the text does not show: a participant it does not name, a keyword
 * a server sent as a tag without writing it.
 */
export interface RemoteText {
  /** The text links to this actor or writes their @name, or writes this plain name. */
  names(actor: ActorRow | null, plainName: string | null): boolean;
  /** The text writes `#keyword` (case and accents aside). */
  tags(keyword: string): boolean;
}

/** Undefined for a local encounter, or a remote one without its received HTML. */
export function remoteText(view: EncounterView): RemoteText | undefined {
  if (view.isLocal || !view.remoteContentHtml) return undefined;
  const hrefs = new Set(
    [...view.remoteContentHtml.matchAll(/\bhref="([^"]*)"/g)].map((m) =>
      (m[1] ?? "").replaceAll("&amp;", "&"),
    ),
  );
  const text = fold(view.text);
  const written = (word: string) => {
    const folded = fold(word);
    if (!folded) return false;
    // The word alone, not inside a longer one: "#Marché" does not show "#March".
    let at = text.indexOf(folded);
    while (at >= 0) {
      const after = text.charAt(at + folded.length);
      if (!/[\p{L}\p{M}\p{N}_]/u.test(after)) return true;
      at = text.indexOf(folded, at + 1);
    }
    return false;
  };
  return {
    names(actor, plainName) {
      if (actor) {
        if (hrefs.has(actor.iri) || (actor.url !== null && hrefs.has(actor.url))) return true;
        return written(`@${actor.username}`);
      }
      if (plainName === null) return false;
      // An account we could not reach is named by its handle; the text may show only @user.
      const name = plainName.trim();
      return written(name) || (/^@[^@\s]+@/.test(name) && written(name.split("@", 2).join("@")));
    },
    tags: (keyword) => written(`#${keyword}`),
  };
}

function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}
