import { escapeHtml } from "../shared/html.ts";

/*
 * Small pieces every settings or dashboard form uses: words with placeholders, a field's
 * error next to it, and the attributes that tie them together.
 */

/** Errors of a form, by field name; `form` for an error of the whole form. */
export type FieldErrors = Partial<Record<string, string>>;

/**
 * Escaped text with its `{placeholders}` filled (escaping leaves braces alone): values
 * escaped, `{ html }` values as they are.
 */
export const fill = (text: string, values: Record<string, string | number | { html: string }>) =>
  escapeHtml(text).replace(/\{(\w+)\}/g, (_, k: string) => {
    const value = values[k];
    return typeof value === "object" ? value.html : escapeHtml(String(value ?? ""));
  });

/** A field's name as an id (letters, digits, `-` and `_`): `fields[0][name]` → `fields-0-name`. */
export const fieldId = (field: string) => field.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/-$/, "");

/** The id of a field's error paragraph. */
const errorId = (field: string) => `${fieldId(field)}-error`;

/** ` aria-invalid="true" aria-describedby="…"` when the field has an error, else "". */
export function invalidAttrs(errors: FieldErrors, field: string): string {
  return errors[field] ? ` aria-invalid="true" aria-describedby="${errorId(field)}"` : "";
}

/** The error of a field, as a paragraph next to it (empty when none). */
export function fieldError(errors: FieldErrors, field: string): string {
  const message = errors[field];
  return message ? `<p class="field-error" id="${errorId(field)}">${escapeHtml(message)}</p>` : "";
}

/** The error of the whole form, announced (empty when none). */
export function formError(errors: FieldErrors): string {
  return errors.form ? `<p role="alert" class="error">${escapeHtml(errors.form)}</p>` : "";
}

/** A short confirmation, announced politely (empty when `text` is undefined); `{ html }` as it is. */
export function notice(text: string | { html: string } | undefined): string {
  if (!text) return "";
  return `<p role="status" class="notice">${typeof text === "string" ? escapeHtml(text) : text.html}</p>`;
}

/** ` checked` when `on`. */
export const checked = (on: boolean) => (on ? " checked" : "");
/** ` selected` when `on`. */
export const selected = (on: boolean) => (on ? " selected" : "");

/** A form's values as text: what was typed, or what is stored; a ticked box is "on". */
export type FormValues = Record<string, string | undefined>;

/** A checkbox sent as "on" when ticked (an unticked box sends nothing). */
export function checkbox(values: FormValues, name: string, label: string): string {
  return `<p><label><input type="checkbox" name="${name}" value="on"${checked(values[name] === "on")}> ${escapeHtml(label)}</label></p>`;
}

/** A labelled select with its error; each option is [value, words, its language?]. */
export function selectField(
  values: FormValues,
  errors: FieldErrors,
  name: string,
  label: string,
  options: ReadonlyArray<readonly [string, string, string?]>,
  hint?: string,
): string {
  const items = options
    .map(
      ([value, text, lang]) =>
        `<option value="${escapeHtml(value)}"${lang ? ` lang="${lang}"` : ""}${selected(values[name] === value)}>${escapeHtml(text)}</option>`,
    )
    .join("");
  return `<p><label for="${name}">${escapeHtml(label)}</label>
<select id="${name}" name="${name}"${invalidAttrs(errors, name)}>${items}</select>${hint ? `\n<small class="hint">${escapeHtml(hint)}</small>` : ""}</p>
${fieldError(errors, name)}`;
}
