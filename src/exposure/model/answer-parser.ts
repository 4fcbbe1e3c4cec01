/**
 * Reading an answer to the weekly question, from a direct message or a form.
 * Pure: no I/O. The rules, chosen to be predictable rather than clever:
 *
 * - Letters are compared without case or accents; HTML, @mentions, punctuation
 *   and emojis are ignored ("<p>@instance Oui, 3 ! 🎉</p>" is "oui 3").
 * - The FIRST word decides. Yes: oui, ouais, yes, yeah, yep. No: non, no, nope, nan.
 *   What follows a "no" is ignored ("non merci" is a no).
 * - A whole number right after a yes is the count of satisfying encounters
 *   ("oui 2", "yes: 1"); 0 ("oui 0") and numbers above 99 are not understood.
 * - A number after a no ("non 2"), a number first ("2 oui"), or a yes that also says
 *   no ("oui et non") is not understood: the member gets the link to the form instead.
 */
export type ParsedAnswer = { answer: "yes"; count?: number } | { answer: "no" };

const YES = new Set(["oui", "ouais", "yes", "yeah", "yep"]);
const NO = new Set(["non", "no", "nope", "nan"]);
export const MAX_ANSWER_COUNT = 99;

/** Words of the text: lower case, no accents, no mentions, only letters and digits. */
export function answerWords(text: string): string[] {
  return text
    .replace(/(^|\s)@[^\s]+/g, " ")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

export function parseAnswer(text: string): ParsedAnswer | null {
  const words = answerWords(text);
  const [first, second] = words;
  if (first === undefined) return null;
  if (NO.has(first)) {
    return second !== undefined && /^\d+$/.test(second) ? null : { answer: "no" };
  }
  if (!YES.has(first)) return null;
  if (words.slice(1).some((word) => NO.has(word))) return null;
  if (second === undefined || !/^\d+$/.test(second)) return { answer: "yes" };
  const count = Number(second);
  return count >= 1 && count <= MAX_ANSWER_COUNT ? { answer: "yes", count } : null;
}
