import { z } from "zod";
import { CIRCLES, DISTANCES, MASKS, SETTINGS, VOICES } from "../db/schema.ts";

/*
 * The private side of an encounter as a member sends it. Every field is optional: it can
 * be set later, or completed bit by bit; `null` clears a field. Messages never repeat the
 * value sent (it is private, and error messages may end up in logs).
 */

/** The private fields of an encounter; `circles` is apart (another table). */
export const PRIVATE_FIELD_NAMES = [
  "othersPresent",
  "setting",
  "durationMinutes",
  "distance",
  "theirMask",
  "myMask",
  "voice",
  "satisfying",
] as const;

export const OTHERS_PRESENT_MAX = 1000;
export const DURATION_MAX_MINUTES = 24 * 60;

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(", ")}` }).nullable();

const wholeNumber = (min: number, max: number, tooLarge: string) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, tooLarge)
    .nullable();

export const circleAssignmentSchema = z
  .object({
    participantId: z.uuid({ error: "must be the id of one of the encounter's participants" }),
    position: z
      .number({ error: "must be the participant's position (0 for the first named)" })
      .int("must be a whole number (0 for the first named)")
      .min(0, "must be 0 or more (0 for the first named)"),
    circle: oneOf(CIRCLES),
  })
  .partial({ participantId: true, position: true })
  .strict()
  .refine((c) => (c.participantId === undefined) !== (c.position === undefined), {
    error: "must name the participant by participantId or by position (one of them)",
  });

export const privateFieldsInputSchema = z
  .object({
    othersPresent: wholeNumber(
      0,
      OTHERS_PRESENT_MAX,
      `must be at most ${OTHERS_PRESENT_MAX} (people present besides you)`,
    ).meta({ description: "How many other people were there, besides you" }),
    setting: oneOf(SETTINGS),
    durationMinutes: wholeNumber(
      1,
      DURATION_MAX_MINUTES,
      `must be at most ${DURATION_MAX_MINUTES} minutes (24 h): log a longer stay as several encounters`,
    ),
    distance: oneOf(DISTANCES).meta({
      description: "close: under 30 cm; one_metre; two_metres: 2 m or more; three_metres: 3 m+",
    }),
    theirMask: oneOf(MASKS),
    myMask: oneOf(MASKS),
    voice: oneOf(VOICES),
    satisfying: z.boolean({ error: "must be true or false" }).nullable(),
    circles: z
      .array(circleAssignmentSchema, { error: "must be a list of { position, circle }" })
      .max(20, "must have at most 20 entries (one per participant)"),
  })
  .partial()
  .strict();

export type PrivateFieldsInput = z.input<typeof privateFieldsInputSchema>;
export type ValidPrivateFieldsInput = z.output<typeof privateFieldsInputSchema>;
