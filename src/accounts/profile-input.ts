import { z } from "zod";

/** Mastodon's limits, so a profile written here reads the same there. */
export const BIO_MAX = 500;
export const DISPLAY_NAME_MAX = 100;
export const FIELDS_MAX = 4;
export const FIELD_NAME_MAX = 255;
export const FIELD_VALUE_MAX = 255;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Characters as a person counts them: an emoji with its modifiers is one. */
function countGraphemes(text: string): number {
  let count = 0;
  for (const _ of graphemes.segment(text)) count++;
  return count;
}

const atMost = (max: number) => ({
  error: `must be at most ${max} characters`,
});
const bounded = (max: number) =>
  z.string({ error: "must be text" }).refine((t) => countGraphemes(t) <= max, atMost(max));

/** Line ends as one `\n`, no trailing spaces on the whole. */
const normalizeLines = (text: string) => text.replace(/\r\n?/g, "\n").trim();

const fieldSchema = z
  .object({
    name: z
      .string({ error: "must be text" })
      .transform((t) => t.replace(/\s+/g, " ").trim())
      .pipe(bounded(FIELD_NAME_MAX)),
    value: z
      .string({ error: "must be text" })
      .transform((t) => t.replace(/\s+/g, " ").trim())
      .pipe(bounded(FIELD_VALUE_MAX)),
  })
  .strict();

/**
 * A change of profile: only the fields sent change. Fields are replaced whole (send `[]` to
 * remove them all); a field whose name and value are both blank is dropped, as Mastodon does.
 */
export const profilePatchSchema = z.object({
  displayName: z
    .string({ error: "must be text" })
    .transform((t) => t.replace(/\s+/g, " ").trim())
    .pipe(bounded(DISPLAY_NAME_MAX))
    .optional()
    .meta({ description: `Shown instead of the username; at most ${DISPLAY_NAME_MAX} characters` }),
  bio: z
    .string({ error: "must be text" })
    .transform(normalizeLines)
    .pipe(bounded(BIO_MAX))
    .optional()
    .meta({
      description: `Plain text with line breaks (links are made from URLs); at most ${BIO_MAX} characters`,
    }),
  fields: z
    .array(fieldSchema, { error: "must be a list of {name, value}" })
    .max(FIELDS_MAX, `must be at most ${FIELDS_MAX}`)
    .transform((list) => list.filter((f) => f.name !== "" || f.value !== ""))
    .refine((list) => list.every((f) => f.name !== ""), {
      error: "each field needs a name when it has a value",
    })
    .optional()
    .meta({
      description: `At most ${FIELDS_MAX} name/value pairs (${FIELD_NAME_MAX} characters each); a value that is a URL becomes a link`,
    }),
  manuallyApprovesFollowers: z
    .boolean({ error: "must be true or false" })
    .optional()
    .meta({ description: "true: each new follower waits for the member's approval" }),
  discoverable: z
    .boolean({ error: "must be true or false" })
    .optional()
    .meta({ description: "true: listed on the instance's home page and in directories" }),
});

export type ProfilePatch = z.output<typeof profilePatchSchema>;
export type ProfilePatchInput = z.input<typeof profilePatchSchema>;
