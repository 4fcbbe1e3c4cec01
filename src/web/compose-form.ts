import { CIRCLES, DISTANCES, MASKS, SETTINGS, type Visibility, VOICES } from "../db/schema.ts";
import {
  ALT_TEXT_MAX,
  DETAIL_MAX,
  PARTICIPANTS_MAX,
  TEXT_MAX_GRAPHEMES,
} from "../encounters/encounter-input.ts";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import { REPLY_MAX_GRAPHEMES } from "../encounters/reply-input.ts";
import { escapeHtml } from "../shared/html.ts";
import {
  type ComposeValues,
  DETAIL_FIELDS,
  type FieldErrors,
  PRIVATE_NUMBERS,
  PRIVATE_SELECTS,
} from "./compose-input.ts";
import { type ComposeWords, errorText, W } from "./compose-words.ts";
import { type MessageKey, translate } from "./i18n.ts";
import type { PageContext } from "./web-kit.ts";

/*
 * The HTML of the compose and edit form, the delete confirmation and the reply form. Every
 * value is escaped; each error sits next to its field (aria-describedby); app.js adds the
 * live counter, the handle look-up and more rows, and the form works without it.
 */

export interface ComposeFormOptions {
  action: string;
  mode: "create" | "edit";
  values: ComposeValues;
  errors: FieldErrors;
  /** The photo the form carries: a pending upload (its id kept in a hidden field) or the encounter's. */
  /** The photo kept; its width and height (of the original) give the thumbnail its shape. */
  photo?: { thumbnailUrl: string; width: number; height: number; uploadId?: string };
  visibilities: readonly Visibility[];
  /** The member's local date: the default and the latest date. */
  today: string;
}

const DETAIL_LABELS: Record<(typeof DETAIL_FIELDS)[number], MessageKey> = {
  emotion: "detailEmotion",
  learned: "detailLearned",
  lookingFor: "detailLookingFor",
  canOffer: "detailCanOffer",
  howTheyAre: "detailHowTheyAre",
};

const CHOICES = {
  setting: SETTINGS,
  distance: DISTANCES,
  voice: VOICES,
  theirMask: MASKS,
  myMask: MASKS,
} as const;

/** An error paragraph and the ids a field's aria-describedby names. */
function described(w: ComposeWords, id: string, errors: FieldErrors, key: string, hint?: string) {
  const error = errors[key];
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean);
  return {
    attrs: `${ids.length ? ` aria-describedby="${ids.join(" ")}"` : ""}${error ? ' aria-invalid="true"' : ""}`,
    hint: hint ? `<br><span class="hint" id="${id}-hint">${escapeHtml(hint)}</span>` : "",
    error: error
      ? `<p class="field-error" id="${id}-error">${escapeHtml(errorText(w, error))}</p>`
      : "",
  };
}

function input(
  w: ComposeWords,
  o: { id: string; name: string; label: string; value: string; errors: FieldErrors },
  extra: { hint?: string; attrs?: string; key?: string } = {},
) {
  const d = described(w, o.id, o.errors, extra.key ?? o.name, extra.hint);
  return `<p><label for="${o.id}">${escapeHtml(o.label)}</label>${d.hint}
<input id="${o.id}" name="${o.name}"${extra.attrs?.includes("type=") ? "" : ' type="text"'} value="${escapeHtml(o.value)}"${extra.attrs ?? ""}${d.attrs}></p>${d.error}`;
}

function select(
  w: ComposeWords,
  o: { id: string; name: string; label: string; value: string; errors: FieldErrors; key?: string },
  options: Record<string, string>,
) {
  const d = described(w, o.id, o.errors, o.key ?? o.name);
  const opts = [`<option value="">${escapeHtml(w.none)}</option>`]
    .concat(
      Object.entries(options).map(
        ([value, label]) =>
          `<option value="${value}"${value === o.value ? " selected" : ""}>${escapeHtml(label)}</option>`,
      ),
    )
    .join("");
  return `<p><label for="${o.id}">${escapeHtml(o.label)}</label><br><select id="${o.id}" name="${o.name}"${d.attrs}>${opts}</select></p>${d.error}`;
}

/** How many participant rows: the filled ones and one more, at least three. */
export function rowCount(values: ComposeValues): number {
  let filled = values.participants.length;
  while (filled > 0 && !values.participants[filled - 1]?.trim()) filled--;
  return Math.min(PARTICIPANTS_MAX, Math.max(3, filled + 1));
}

function participantsHtml(w: ComposeWords, values: ComposeValues, errors: FieldErrors): string {
  const rows: string[] = [];
  for (let i = 0; i < rowCount(values); i++) {
    const id = `f-participant-${i}`;
    const d = described(w, id, errors, `participants.${i}`);
    const label = w.person.replace("{n}", String(i + 1));
    rows.push(`<div class="participant-row" data-row="${i}"><p><label for="${id}">${escapeHtml(label)}</label><br>
<input id="${id}" name="participants" type="text" value="${escapeHtml(values.participants[i] ?? "")}" maxlength="300" autocomplete="off" spellcheck="false" data-lookup${d.attrs}></p>${d.error}</div>`);
  }
  const whole = described(w, "f-participants", errors, "participants", w.whoHint);
  return `<fieldset id="f-participants"${whole.attrs ? ` ${whole.attrs.trim()}` : ""}>
<legend>${escapeHtml(w.who)}</legend>
<p class="hint" id="f-participants-hint">${escapeHtml(w.whoHint)}</p>${whole.error}
${rows.join("\n")}
<p><button type="button" class="secondary" data-add-participant hidden>${escapeHtml(w.addPerson)}</button></p>
</fieldset>`;
}

function photoHtml(w: ComposeWords, o: ComposeFormOptions): string {
  const { values, errors, photo } = o;
  const file = described(w, "f-photo", errors, "photo");
  const kept = photo
    ? `<p>${escapeHtml(w.photoKept)}<br><img class="compose-thumbnail" src="${escapeHtml(photo.thumbnailUrl)}" alt="${escapeHtml(values.photoAlt)}"${photo.width > 0 && photo.height > 0 ? ` width="${photo.width}" height="${photo.height}"` : ""} loading="lazy" decoding="async"></p>
${photo.uploadId ? `<input type="hidden" name="upload" value="${escapeHtml(photo.uploadId)}">` : ""}
<p><label><input type="checkbox" name="removePhoto"${values.removePhoto ? " checked" : ""}> ${escapeHtml(w.removePhoto)}</label></p>`
    : "";
  const alt = described(w, "f-photoAlt", errors, "photoAlt", w.photoAltHint);
  return `${kept}<p><label for="f-photo">${escapeHtml(w.photo)}</label><br>
<input id="f-photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp,image/gif,image/avif"${file.attrs}></p>${file.error}
<p><label for="f-photoAlt">${escapeHtml(w.photoAlt)}</label>${alt.hint}
<textarea id="f-photoAlt" name="photoAlt" rows="2" maxlength="${ALT_TEXT_MAX}"${alt.attrs}>${escapeHtml(values.photoAlt)}</textarea></p>${alt.error}`;
}

function visibilityHtml(w: ComposeWords, o: ComposeFormOptions): string {
  const d = described(w, "f-visibility", o.errors, "visibility");
  const chosen = o.visibilities.includes(o.values.visibility as Visibility)
    ? o.values.visibility
    : o.visibilities[0];
  const radios = o.visibilities.map(
    (v) =>
      `<p><label><input type="radio" name="visibility" value="${v}"${v === chosen ? " checked" : ""}> ${escapeHtml(w.vis[v])}</label></p>`,
  );
  return `<fieldset id="f-visibility"${d.attrs}><legend>${escapeHtml(w.visibility)}</legend>
${radios.join("\n")}${d.error}</fieldset>`;
}

function privateHtml(w: ComposeWords, o: ComposeFormOptions): string {
  const { values, errors } = o;
  const p = values.private;
  const sat = [
    ["yes", w.yes],
    ["no", w.no],
    ["", w.unsaid],
  ]
    .map(
      ([value, label]) =>
        `<label><input type="radio" name="satisfying" value="${value}"${p.satisfying === value ? " checked" : ""}> ${escapeHtml(label as string)}</label>`,
    )
    .join(" ");
  const numbers = PRIVATE_NUMBERS.map((name) =>
    input(
      w,
      { id: `f-${name}`, name, label: w[name], value: p[name], errors },
      { attrs: ` type="number" min="${name === "othersPresent" ? 0 : 1}" inputmode="numeric"` },
    ),
  );
  const selects = PRIVATE_SELECTS.map((name) =>
    select(
      w,
      { id: `f-${name}`, name, label: w[name], value: p[name], errors },
      Object.fromEntries(
        CHOICES[name].map((c) => [c, (w.options[name] as Record<string, string>)[c] ?? c]),
      ),
    ),
  );
  const circles: string[] = [];
  for (let i = 0; i < rowCount(values); i++) {
    circles.push(
      `<div class="circle-row" data-row="${i}">${select(
        w,
        {
          id: `f-circle-${i}`,
          name: "circle",
          label: w.circleOf.replace("{n}", String(i + 1)),
          value: p.circles[i] ?? "",
          errors,
          key: `circle.${i}`,
        },
        Object.fromEntries(CIRCLES.map((c) => [c, w.options.circle[c]])),
      )}</div>`,
    );
  }
  return `<fieldset class="private">
<legend>${escapeHtml(w.privateLegend)}</legend>
<p><strong>${escapeHtml(w.privateNotice)}</strong></p>
<fieldset><legend>${escapeHtml(w.satisfying)}</legend><p>${sat}</p></fieldset>
${numbers.join("\n")}
${selects.join("\n")}
${circles.join("\n")}
</fieldset>`;
}

/** The compose (or edit) form, filled with `values`, each error next to its field. */
export function composeFormHtml(context: PageContext, o: ComposeFormOptions): string {
  const w = W[context.lang];
  const { values, errors } = o;
  const text = described(w, "f-text", errors, "text", w.textHint);
  const details = DETAIL_FIELDS.map((name) =>
    input(
      w,
      {
        id: `f-${name}`,
        name,
        label: translate(context.lang, DETAIL_LABELS[name]),
        value: values.details[name],
        errors,
      },
      { attrs: ` maxlength="${DETAIL_MAX}"` },
    ),
  );
  const formError = errors.form ? errorText(w, errors.form) : w.formErrors;
  return `${Object.keys(errors).length > 0 ? `<p role="alert" class="error">${escapeHtml(formError)}</p>` : ""}
<form method="post" action="${escapeHtml(o.action)}" enctype="multipart/form-data" class="compose">
${context.csrfField()}
${participantsHtml(w, values, errors)}
<p><label for="f-text">${escapeHtml(w.text)}</label>${text.hint}
<textarea id="f-text" name="text" rows="5" required maxlength="${TEXT_MAX_GRAPHEMES}" data-counter="${TEXT_MAX_GRAPHEMES}"${text.attrs}>${escapeHtml(values.text)}</textarea></p>${text.error}
${input(w, { id: "f-keywords", name: "keywords", label: w.keywords, value: values.keywords, errors }, { hint: w.keywordsHint, attrs: ' maxlength="600" autocapitalize="none"' })}
${photoHtml(w, o)}
${input(w, { id: "f-occurredOn", name: "occurredOn", label: w.occurredOn, value: values.occurredOn, errors }, { attrs: ` type="date" max="${escapeHtml(o.today)}"` })}
${visibilityHtml(w, o)}
<fieldset><legend>${escapeHtml(w.more)}</legend>
${details.join("\n")}
</fieldset>
${privateHtml(w, o)}
<p><button type="submit">${escapeHtml(o.mode === "create" ? w.publish : w.save)}</button></p>
</form>`;
}

/** The confirmation asked before deleting an encounter. */
export function deleteConfirmHtml(context: PageContext, action: string, back: string): string {
  const w = W[context.lang];
  return `<h1>${escapeHtml(w.deleteTitle)}</h1>
<p>${escapeHtml(w.deleteText)}</p>
<form method="post" action="${escapeHtml(action)}" class="actions">${context.csrfField()}
<button type="submit">${escapeHtml(w.deleteConfirm)}</button> <a href="${escapeHtml(back)}">${escapeHtml(w.cancel)}</a></form>`;
}

/** The path of an encounter's page and of its forms. */
export const encounterPath = (view: Pick<EncounterView, "id" | "author">, tail = "") =>
  `/@${encodeURIComponent(view.author.username)}/${view.id}${tail}`;

/** The reply form, with what was typed and its error when it was refused. */
export function replyFormHtml(
  context: PageContext,
  view: Pick<EncounterView, "id" | "author">,
  refused?: { text: string },
): string {
  const w = W[context.lang];
  const error = refused
    ? `<p class="field-error" id="f-reply-error">${escapeHtml(w.replyError)}</p>`
    : "";
  return `<section class="reply-form">
<h2>${escapeHtml(w.replyTitle)}</h2>
<form method="post" action="/encounters/${escapeHtml(view.id)}/replies">${context.csrfField()}
<p><label for="f-reply">${escapeHtml(w.replyLabel)}</label><br><span class="hint" id="f-reply-hint">${escapeHtml(w.replyHint)}</span>
<textarea id="f-reply" name="text" rows="3" required maxlength="${REPLY_MAX_GRAPHEMES}" data-counter="${REPLY_MAX_GRAPHEMES}" aria-describedby="f-reply-hint${refused ? " f-reply-error" : ""}"${refused ? ' aria-invalid="true"' : ""}>${escapeHtml(refused?.text ?? "")}</textarea></p>${error}
<p><button type="submit">${escapeHtml(w.replySend)}</button></p>
</form>
</section>`;
}

/** What the compose module adds under an encounter's page for a logged-in member: the reply form. */
export function encounterComposeHtml(context: PageContext, view: EncounterView): string {
  const member = context.viewer?.member;
  if (!member || view.deletedAt) return "";
  // Edit and delete links are among the encounter's actions (src/web/encounter-actions.ts).
  return view.visibility === "private" ? "" : replyFormHtml(context, view);
}
