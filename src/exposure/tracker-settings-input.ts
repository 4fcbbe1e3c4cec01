import { z } from "zod";
import { BUDGETS } from "../db/schema.ts";
import { isValidTimeZone } from "./model/weeks.ts";

/*
 * What a member may set of their tracker, and its limits: one schema for the JSON API
 * (PATCH /tracker/settings) and the settings page (/settings/tracker), which says the same
 * limits in the member's language.
 */

/** The bounds of each number a member sets; `integer`: whole numbers only. */
export const TRACKER_LIMITS = {
  questionDay: { min: 0, max: 6, integer: true },
  questionHour: { min: 0, max: 23, integer: true },
  floor: { min: 0, max: 100, integer: true },
  target: { min: 0, max: 100, integer: true },
  ceilingRch: { min: 0.1, max: 1000, integer: false },
  distinctPeopleLimit: { min: 1, max: 1000, integer: true },
  weeklyIncidence: { min: 0, max: 100_000, integer: false },
  testPositivity: { min: 0, max: 1, integer: false },
} as const;

type Limited = keyof typeof TRACKER_LIMITS;

/** A whole number from `min` to `max`, with an error that names the field and its bounds. */
export const trackerSettingsInt = (name: string, min: number, max: number) =>
  z
    .number({ error: `${name} must be a whole number from ${min} to ${max}` })
    .int(`${name} must be a whole number from ${min} to ${max}`)
    .min(min, `${name} must be from ${min} to ${max}`)
    .max(max, `${name} must be from ${min} to ${max}`);

const real = (name: string, min: number, max: number) =>
  z
    .number({ error: `${name} must be a number from ${min} to ${max}` })
    .min(min, `${name} must be from ${min} to ${max}`)
    .max(max, `${name} must be from ${min} to ${max}`);

const limited = (field: Limited, name: string = field) => {
  const { min, max, integer } = TRACKER_LIMITS[field];
  return integer ? trackerSettingsInt(name, min, max) : real(name, min, max);
};
const bool = (name: string) => z.boolean({ error: `${name} must be true or false` });

export const trackerSettingsPatchSchema = z
  .object({
    questionEnabled: bool("questionEnabled"),
    acknowledgeWithStatus: bool("acknowledgeWithStatus"),
    questionDay: limited("questionDay", "questionDay (0 = Sunday … 6 = Saturday)"),
    questionHour: limited("questionHour"),
    timeZone: z
      .string({ error: "timeZone must be an IANA time zone such as Europe/Paris" })
      .refine(isValidTimeZone, "timeZone must be an IANA time zone such as Europe/Paris"),
    floor: limited("floor"),
    target: limited("target"),
    ceilingRch: limited("ceilingRch"),
    distinctPeopleLimit: limited("distinctPeopleLimit"),
    pandemicMode: bool("pandemicMode"),
    weeklyIncidence: limited(
      "weeklyIncidence",
      "weeklyIncidence (cases per 100,000 per week)",
    ).nullable(),
    testPositivity: limited("testPositivity", "testPositivity (a share, 0–1)").nullable(),
    budget: z.enum(BUDGETS, { error: `budget must be one of ${BUDGETS.join(", ")}` }),
  })
  .partial()
  .strict();

export type TrackerSettingsPatchInput = z.output<typeof trackerSettingsPatchSchema>;
