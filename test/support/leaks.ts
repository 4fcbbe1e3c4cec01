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
