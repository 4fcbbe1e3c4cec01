import { z } from "zod";
import { VISIBILITIES } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";

export const TEXT_MAX_GRAPHEMES = 280;
export const KEYWORDS_MAX = 10;
export const PARTICIPANTS_MAX = 20;
export const DETAIL_MAX = 200;
export const ALT_TEXT_MAX = 1500;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Characters as a person counts them: an emoji with its modifiers is one. */
export function countGraphemes(text: string): number {
  let count = 0;
  for (const _ of graphemes.segment(text)) count++;
  return count;
}

/** Letters and digits of any script and `_`, as Mastodon reads hashtags. */
const KEYWORD_PATTERN = /^[\p{L}\p{M}\p{N}_]{1,50}$/u;

const detail = z
  .string()
  .trim()
  .max(DETAIL_MAX, `must be at most ${DETAIL_MAX} characters`)
  .optional()
  .transform((v) => (v ? v : undefined));

export const encounterInputSchema = z.object({
  occurredOn: z.iso.date({ error: "must be a date written YYYY-MM-DD" }).optional(),
  text: z
    .string({ error: "is required: say something about the encounter" })
    .trim()
    .min(1, "is required: say something about the encounter")
    .refine((t) => countGraphemes(t) <= TEXT_MAX_GRAPHEMES, {
      error: `must be at most ${TEXT_MAX_GRAPHEMES} characters`,
    }),
  participants: z
    .array(z.string().trim().min(1, "must not be empty").max(300, "is too long"), {
      error: "is required: name at least one person you met",
    })
    .min(1, "is required: name at least one person you met")
    .max(PARTICIPANTS_MAX, `must name at most ${PARTICIPANTS_MAX} people`),
  keywords: z
    .array(
      z
        .string()
        .trim()
        .transform((k) => k.replace(/^#/, ""))
        .refine((k) => KEYWORD_PATTERN.test(k), {
          error: "must be 1 to 50 letters, digits or underscores (no spaces)",
        }),
    )
    .max(KEYWORDS_MAX, `must be at most ${KEYWORDS_MAX}`)
    .default([]),
  visibility: z
    .enum(VISIBILITIES, { error: `must be one of ${VISIBILITIES.join(", ")}` })
    .default("public"),
  details: z
    .object({
      emotion: detail,
      learned: detail,
      lookingFor: detail,
      canOffer: detail,
      howTheyAre: detail,
    })
    .strict()
    .prefault({}),
  photoAlt: z
    .string()
    .trim()
    .max(ALT_TEXT_MAX, `must be at most ${ALT_TEXT_MAX} characters`)
    .optional(),
});

export type EncounterInput = z.input<typeof encounterInputSchema>;
export type ValidEncounterInput = z.output<typeof encounterInputSchema>;

// Without their defaults: a patch that leaves out keywords, visibility or details keeps them.
const inputShape = encounterInputSchema.shape;
export const encounterPatchSchema = encounterInputSchema
  .extend({
    keywords: inputShape.keywords.unwrap(),
    visibility: inputShape.visibility.unwrap(),
    details: inputShape.details.unwrap(),
  })
  .partial();
export type EncounterPatch = z.input<typeof encounterPatchSchema>;

/** Keywords deduplicated case-insensitively, keeping the first spelling. */
export function uniqueKeywords(keywords: string[]): string[] {
  const seen = new Set<string>();
  return keywords.filter((k) => {
    const folded = k.toLocaleLowerCase();
    if (seen.has(folded)) return false;
    seen.add(folded);
    return true;
  });
}

const DAY_MS = 86_400_000;

/**
 * The date must not be in the future, nor more than a year ago. "Today" is
 * taken loosely (±14 h) since the member's time zone is not known here.
 */
export function checkOccurredOn(date: string, now: Date): void {
  const day = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(day))
    throw new DomainError("invalid", "occurredOn must be a real date (YYYY-MM-DD).");
  if (day > now.getTime() + 14 * 3600_000) {
    throw new DomainError(
      "invalid",
      "occurredOn is in the future: log an encounter once it happened.",
    );
  }
  if (day < now.getTime() - 366 * DAY_MS) {
    throw new DomainError(
      "invalid",
      "occurredOn is more than a year ago: only recent encounters can be logged.",
    );
  }
}

/** Is this participant reference a fediverse account (rather than a plain name)? */
export function isFediverseReference(reference: string): boolean {
  return /^@[^\s@]+(@[^\s@]+)?$/.test(reference) || /^https?:\/\/\S+$/.test(reference);
}
