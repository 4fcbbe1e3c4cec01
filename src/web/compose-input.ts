import type { Visibility } from "../db/schema.ts";
import {
  type EncounterInput,
  encounterInputSchema,
  KEYWORDS_MAX,
  PARTICIPANTS_MAX,
} from "../encounters/encounter-input.ts";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import type { PrivateFieldsView } from "../exposure/private-fields-service.ts";
import { participantName } from "../exposure/private-fields-service.ts";
import { type PrivateFieldsInput, privateFieldsInputSchema } from "../exposure/private-input.ts";
import { findNul } from "../shared/input.ts";

/*
 * The compose form as a browser sends it (every value a string, a repeated name a list),
 * and its mapping to what the services take: the encounter's input (the domain's own
 * schema, src/encounters/encounter-input.ts) and its private side (src/exposure/private-input.ts).
 * Errors are named by the form's field names, to show each next to its field.
 */

export const DETAIL_FIELDS = [
  "emotion",
  "learned",
  "lookingFor",
  "canOffer",
  "howTheyAre",
] as const;
export const PRIVATE_SELECTS = ["setting", "distance", "theirMask", "myMask", "voice"] as const;
export const PRIVATE_NUMBERS = ["othersPresent", "durationMinutes"] as const;

/** The form's values, kept as typed so a refused form comes back as it was sent. */
export interface ComposeValues {
  /** One per row, empty rows included (the circles are aligned with them). */
  participants: string[];
  keywords: string;
  text: string;
  photoAlt: string;
  /** A photo uploaded with an earlier, refused submission of this form (media_uploads). */
  upload: string;
  removePhoto: boolean;
  details: Record<(typeof DETAIL_FIELDS)[number], string>;
  occurredOn: string;
  visibility: string;
  /** The private tracker's fields; `circles` aligned with `participants`. */
  private: Record<(typeof PRIVATE_SELECTS)[number] | (typeof PRIVATE_NUMBERS)[number], string> & {
    satisfying: string;
    circles: string[];
  };
}

/** Field name → what is wrong (a message key of the form's words, or a text). */
export type FieldErrors = Record<string, string>;

/** A field sent once (the first, if a browser sent it twice); anything but text reads as empty. */
const one = (v: unknown): string =>
  typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : "";
/** A repeated field, each value in order (a non-text value reads as empty, keeping the rows aligned). */
const many = (v: unknown): string[] =>
  typeof v === "string"
    ? [v]
    : Array.isArray(v)
      ? v.map((x) => (typeof x === "string" ? x : ""))
      : [];

const MAX_ROWS = PARTICIPANTS_MAX;

/** Reads a parsed form body (urlencoded or multipart key/values); anything odd reads as empty. */
export function readComposeValues(body: unknown): ComposeValues {
  const f = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  // A few rows beyond the limit, so that naming too many people is an error, not a silent cut.
  const participants = many(f.participants).slice(0, MAX_ROWS + 5);
  const circles = many(f.circle);
  const pick = <K extends string>(names: readonly K[]) =>
    Object.fromEntries(names.map((n) => [n, one(f[n])])) as Record<K, string>;
  return {
    participants,
    keywords: one(f.keywords),
    text: one(f.text),
    photoAlt: one(f.photoAlt),
    upload: one(f.upload),
    removePhoto: one(f.removePhoto) === "on" || one(f.removePhoto) === "true",
    details: pick(DETAIL_FIELDS),
    occurredOn: one(f.occurredOn),
    visibility: one(f.visibility),
    private: {
      ...pick([...PRIVATE_SELECTS, ...PRIVATE_NUMBERS]),
      satisfying: one(f.satisfying),
      circles: participants.map((_, i) => circles[i] ?? ""),
    },
  };
}

/** An empty form: today's date, public. */
export function emptyComposeValues(today: string): ComposeValues {
  const values = readComposeValues({});
  return { ...values, occurredOn: today, visibility: "public", participants: [] };
}

/** The form filled with an encounter of the author's and its private side, to edit it. */
export function valuesOfEncounter(view: EncounterView, priv: PrivateFieldsView): ComposeValues {
  const values = readComposeValues({});
  const details = (view.details ?? {}) as Partial<Record<string, string>>;
  const asText = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  return {
    ...values,
    participants: view.participants.map((p) =>
      p.actor ? referenceOf(p.actor) : participantName(p),
    ),
    keywords: view.keywords.join(" "),
    text: view.text,
    photoAlt: view.photo?.alt ?? "",
    details: Object.fromEntries(
      DETAIL_FIELDS.map((n) => [n, details[n] ?? ""]),
    ) as ComposeValues["details"],
    occurredOn: view.occurredOn ?? "",
    visibility: view.visibility,
    private: {
      ...(Object.fromEntries(
        [...PRIVATE_SELECTS, ...PRIVATE_NUMBERS].map((n) => [n, asText(priv[n])]),
      ) as Omit<ComposeValues["private"], "satisfying" | "circles">),
      satisfying: priv.satisfying === null ? "" : priv.satisfying ? "yes" : "no",
      circles: priv.participants.map((p) => p.circle ?? ""),
    },
  };
}

/** How a member of here or an account elsewhere is named in the form: `@user` or `@user@host`. */
function referenceOf(actor: { username: string; host: string; memberId: string | null }): string {
  return actor.memberId ? `@${actor.username}` : `@${actor.username}@${actor.host}`;
}

/** The rows that name someone, once each (the same text twice is one person), with their row. */
export function namedRows(values: ComposeValues): Array<{ row: number; reference: string }> {
  const seen = new Set<string>();
  const rows: Array<{ row: number; reference: string }> = [];
  values.participants.forEach((raw, row) => {
    const reference = raw.trim();
    const key = reference.toLowerCase();
    if (!reference || seen.has(key)) return;
    seen.add(key);
    rows.push({ row, reference });
  });
  return rows;
}

const wholeNumber = (raw: string) => (/^\s*\d{1,9}\s*$/.test(raw) ? Number(raw) : raw);

export type ComposeMapping =
  | { ok: true; encounter: EncounterInput; private: PrivateFieldsInput; hasPrivate: boolean }
  | { ok: false; errors: FieldErrors };

/**
 * The service inputs the form asks for, or the errors of each field. `mode: "edit"` sends an
 * emptied private field as null (cleared); a new encounter leaves it out.
 */
export function toServiceInput(values: ComposeValues, mode: "create" | "edit"): ComposeMapping {
  const errors: FieldErrors = {};
  const nul = findNul(values);
  if (nul !== undefined) errors.form = "nul";
  const rows = namedRows(values);
  const keywords = values.keywords.split(/[\s,]+/).filter(Boolean);
  const encounter = {
    text: values.text,
    participants: rows.map((r) => r.reference),
    keywords,
    visibility: values.visibility || "public",
    details: Object.fromEntries(DETAIL_FIELDS.map((n) => [n, values.details[n]])),
    ...(values.occurredOn.trim() ? { occurredOn: values.occurredOn.trim() } : {}),
    ...(values.photoAlt.trim() ? { photoAlt: values.photoAlt } : {}),
  };
  const parsed = encounterInputSchema.safeParse(encounter);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [first, second] = issue.path;
      if (first === "participants" && typeof second === "number") {
        errors[`participants.${rows[second]?.row ?? 0}`] = "participantInvalid";
      } else if (first === "details" && typeof second === "string") {
        errors[second] = "detailTooLong";
      } else if (first === "keywords") {
        errors.keywords = "keywords";
      } else if (typeof first === "string") {
        errors[first] ??= first;
      }
    }
  }
  if (keywords.length > KEYWORDS_MAX) errors.keywords = "keywords";

  const empty = mode === "edit" ? null : undefined;
  const p = values.private;
  const satisfying = p.satisfying === "yes" ? true : p.satisfying === "no" ? false : empty;
  const priv: Record<string, unknown> = { satisfying };
  for (const name of PRIVATE_SELECTS) priv[name] = p[name] ? p[name] : empty;
  for (const name of PRIVATE_NUMBERS) priv[name] = p[name].trim() ? wholeNumber(p[name]) : empty;
  priv.circles = rows.flatMap(({ row }, position) => {
    const circle = p.circles[row] ?? "";
    return circle || mode === "edit" ? [{ position, circle: circle || null }] : [];
  });
  const privParsed = privateFieldsInputSchema.safeParse(priv);
  if (!privParsed.success) {
    for (const issue of privParsed.error.issues) {
      const [first, second] = issue.path;
      const row = first === "circles" && typeof second === "number" ? rows[second]?.row : undefined;
      if (row !== undefined) errors[`circle.${row}`] ??= "privateInvalid";
      else if (first === "othersPresent" || first === "durationMinutes") errors[first] ??= first;
      else errors[String(first)] ??= "privateInvalid";
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const hasPrivate =
    Object.entries(priv).some(([k, v]) => k !== "circles" && v !== undefined) ||
    (priv.circles as unknown[]).length > 0;
  return {
    ok: true,
    encounter: encounter as EncounterInput,
    private: priv as PrivateFieldsInput,
    hasPrivate,
  };
}

/** The visibilities an edit may choose: the same or a wider audience; a private entry stays so. */
export function editableVisibilities(current: Visibility): Visibility[] {
  const order: Visibility[] = ["participants", "followers", "unlisted", "public"];
  if (current === "private") return ["private"];
  return order.slice(order.indexOf(current));
}
