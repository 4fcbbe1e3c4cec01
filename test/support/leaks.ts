import { expect } from "vitest";

/**
 * An assertion that none of `patterns` (private values) occurs in a text, which
 * names the place and shows the surroundings of the first leak found.
 */
export function noLeakOf(patterns: readonly RegExp[]) {
  return (what: string, text: string) => {
    for (const pattern of patterns) {
      const match = pattern.exec(text);
      const around = match ? text.slice(Math.max(0, match.index - 80), match.index + 80) : "";
      expect(match, `${what} leaks ${pattern}: …${around}…`).toBeNull();
    }
  };
}

/** A private side of an encounter with every field set, each value easy to spot in a text. */
export const PRIVATE_FIELDS = {
  othersPresent: 919,
  setting: "ventilated",
  durationMinutes: 1171,
  distance: "three_metres",
  theirMask: "ffp2",
  myMask: "cloth",
  voice: "quiet",
  satisfying: true,
} as const;

/** What betrays `PRIVATE_FIELDS` (and the circle `intimate`) in a text. */
export const PRIVATE_FIELD_LEAKS: readonly RegExp[] = [
  /(?<![\w.])919(?![\w.])/,
  /(?<![\w.])1171(?![\w.])/,
  /ventilated/,
  /three_metres/,
  // A word of its own: a signature in base58 may hold the letters "ffp2" in any case.
  /(?<![A-Za-z0-9])(ffp2|FFP2)(?![A-Za-z0-9])/,
  /intimate/,
];
