import {
  EMAIL_MAX,
  JOIN_REASON_MAX,
  type JoinErrors,
  type JoinField,
  type JoinForm,
} from "../accounts/join-input.ts";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../accounts/passwords.ts";
import { DISPLAY_NAME_MAX } from "../accounts/profile-input.ts";
import { escapeHtml, plainTextToHtml } from "../shared/html.ts";
import type { Language } from "./i18n.ts";
import type { PageContext } from "./web-kit.ts";

/* The sign-up form of /join: its words, its fields, its errors next to each field. */

const FIELD_ERRORS = {
  fr: {
    username: {
      required: "Choisis un nom d'utilisateur·ice.",
      invalid: "Utilise 1 à 30 lettres a–z, chiffres ou « _ », sans espace ni accent.",
      reserved: "Ce nom est réservé : choisis-en un autre.",
      taken: "Ce nom est déjà pris : choisis-en un autre.",
      deleted:
        "Ce nom était celui d'un compte supprimé : il reste réservé, pour que personne ne se fasse passer pour ce·tte membre. Choisis-en un autre.",
    },
    displayName: { too_long: `Le nom affiché fait au plus ${DISPLAY_NAME_MAX} caractères.` },
    password: {
      required: "Choisis un mot de passe.",
      too_short: `Le mot de passe doit faire au moins ${PASSWORD_MIN_LENGTH} caractères.`,
      too_long: `Le mot de passe fait au plus ${PASSWORD_MAX_LENGTH} caractères.`,
    },
    passwordConfirm: { mismatch: "Les deux mots de passe sont différents : tape-le à nouveau." },
    email: {
      invalid: "Cette adresse e-mail ne semble pas valide (exemple : prenom@exemple.fr).",
      too_long: `Une adresse e-mail fait au plus ${EMAIL_MAX} caractères.`,
    },
    charter: {
      required: "Coche la case pour accepter la charte : c'est la condition pour rejoindre.",
    },
    reason: {
      required: "Dis en quelques mots pourquoi tu veux rejoindre la communauté.",
      too_long: `${JOIN_REASON_MAX} caractères au plus : raccourcis un peu.`,
    },
  },
  en: {
    username: {
      required: "Choose a username.",
      invalid: "Use 1 to 30 letters a–z, digits or “_”, without spaces or accents.",
      reserved: "This name is reserved: choose another one.",
      taken: "This name is already taken: choose another one.",
      deleted:
        "This name belonged to an account that was deleted: it stays reserved, so nobody can pass for that member. Choose another one.",
    },
    displayName: { too_long: `The display name is at most ${DISPLAY_NAME_MAX} characters.` },
    password: {
      required: "Choose a password.",
      too_short: `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`,
      too_long: `The password is at most ${PASSWORD_MAX_LENGTH} characters long.`,
    },
    passwordConfirm: { mismatch: "The two passwords differ: type it again." },
    email: {
      invalid: "This e-mail address does not look valid (example: name@example.org).",
      too_long: `An e-mail address is at most ${EMAIL_MAX} characters.`,
    },
    charter: { required: "Tick the box to accept the charter: it is the condition for joining." },
    reason: {
      required: "Say in a few words why you want to join the community.",
      too_long: `At most ${JOIN_REASON_MAX} characters: shorten it a little.`,
    },
  },
} as const;

export const JOIN_WORDS = {
  fr: {
    title: "Rejoindre {name}",
    introOpen:
      "Crée ton compte : tu pourras noter tes rencontres, et on pourra te suivre depuis tout le fédiverse.",
    introRequest:
      "On rejoint cette communauté sur demande : dis pourquoi tu veux en faire partie, et une personne de l'équipe te répondra.",
    introInvited: "Tu as reçu une invitation : crée ton compte.",
    username: "Nom d'utilisateur·ice",
    usernameHint: "1 à 30 lettres a–z, chiffres ou « _ ». Ton adresse sera @nom@{host}.",
    displayName: "Nom affiché (facultatif)",
    password: "Mot de passe",
    passwordHint: `Au moins ${PASSWORD_MIN_LENGTH} caractères.`,
    passwordConfirm: "Mot de passe, une seconde fois",
    email: "Adresse e-mail (facultative)",
    emailHint:
      "Pour retrouver ton compte si tu oublies ton mot de passe. Elle n'est montrée à personne.",
    charterHeading: "Charte de réciprocité",
    noCharter: "La communauté n'a pas encore écrit sa charte.",
    charter: "J'ai lu la charte de réciprocité et je m'engage à la respecter",
    reason: "Pourquoi veux-tu rejoindre la communauté ?",
    reasonHint: `${JOIN_REASON_MAX} caractères au plus. Les personnes qui décident la liront.`,
    submitOpen: "Créer mon compte",
    submitRequest: "Envoyer ma demande",
    formError: "Le formulaire n'est pas complet : corrige les champs indiqués ci-dessous.",
    tooMany: "Trop d'inscriptions depuis ta connexion : réessaie dans {m} minutes.",
    busy: "Le serveur est très occupé : réessaie dans {s} secondes.",
  },
  en: {
    title: "Join {name}",
    introOpen:
      "Create your account: you will log your encounters, and anyone on the fediverse can follow you.",
    introRequest:
      "This community is joined on request: say why you want to be part of it, and someone of the team will answer.",
    introInvited: "You were invited: create your account.",
    username: "Username",
    usernameHint: "1 to 30 letters a–z, digits or “_”. Your address will be @name@{host}.",
    displayName: "Display name (optional)",
    password: "Password",
    passwordHint: `At least ${PASSWORD_MIN_LENGTH} characters.`,
    passwordConfirm: "Password, once more",
    email: "E-mail address (optional)",
    emailHint: "To recover your account if you forget your password. It is shown to nobody.",
    charterHeading: "Reciprocity charter",
    noCharter: "The community has not written its charter yet.",
    charter: "I have read the reciprocity charter and I commit to respecting it",
    reason: "Why do you want to join the community?",
    reasonHint: `At most ${JOIN_REASON_MAX} characters. The people who decide will read it.`,
    submitOpen: "Create my account",
    submitRequest: "Send my request",
    formError: "The form is not complete: fix the fields shown below.",
    tooMany: "Too many sign-ups from your connection: try again in {m} minutes.",
    busy: "The server is very busy: try again in {s} seconds.",
  },
} as const;

export function fieldError(lang: Language, field: JoinField, problem: string): string {
  const messages = FIELD_ERRORS[lang][field] as Record<string, string>;
  return messages[problem] ?? FIELD_ERRORS[lang].username.invalid;
}

/** The charter as paragraphs, or a sentence saying there is none yet. */
export function charterHtml(lang: Language, charter: string): string {
  return charter ? plainTextToHtml(charter) : `<p>${escapeHtml(JOIN_WORDS[lang].noCharter)}</p>`;
}

interface Input {
  name: JoinField;
  label: string;
  hint?: string;
  /** `textarea`, or an input type. */
  type: string;
  value?: string;
  attributes: string;
}

/** One labelled field, its hint and its error tied to it by `aria-describedby`. */
function fieldHtml(lang: Language, input: Input, errors: JoinErrors): string {
  const id = `join-${input.name}`;
  const problem = errors[input.name];
  const described = [input.hint ? `${id}-hint` : "", problem ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  const aria = `${described ? ` aria-describedby="${described}"` : ""}${problem ? ' aria-invalid="true"' : ""}`;
  const value = escapeHtml(input.value ?? "");
  const control =
    input.type === "textarea"
      ? `<textarea id="${id}" name="${input.name}"${aria} ${input.attributes}>${value}</textarea>`
      : `<input id="${id}" name="${input.name}" type="${input.type}"${input.type === "password" ? "" : ` value="${value}"`}${aria} ${input.attributes}>`;
  return `<div class="field"><label for="${id}">${escapeHtml(input.label)}</label>${control}
${input.hint ? `<p class="hint" id="${id}-hint">${escapeHtml(input.hint)}</p>` : ""}
${problem ? `<p class="field-error" id="${id}-error">${escapeHtml(fieldError(lang, input.name, problem))}</p>` : ""}</div>`;
}

/** The form: every field with what was typed (never the passwords), errors beside them. */
export function joinFormHtml(
  context: PageContext,
  options: {
    kind: "account" | "application";
    invite?: string;
    host: string;
    charter: string;
    values: JoinForm;
    errors: JoinErrors;
    alert?: string;
  },
): string {
  const { lang } = context;
  const w = JOIN_WORDS[lang];
  const { values, errors } = options;
  const field = (input: Input) => fieldHtml(lang, input, errors);
  const charterProblem = errors.charter;
  const alert = options.alert ?? (Object.keys(errors).length > 0 ? w.formError : undefined);
  return `${alert ? `<p role="alert" class="error">${escapeHtml(alert)}</p>\n` : ""}<form method="post" action="/join" class="join">
${context.csrfField()}
${options.invite ? `<input type="hidden" name="invite" value="${escapeHtml(options.invite)}">` : ""}
${field({ name: "username", label: w.username, hint: w.usernameHint.replace("{host}", options.host), type: "text", value: values.username, attributes: 'required maxlength="30" autocomplete="username" autocapitalize="none" spellcheck="false"' })}
${field({ name: "displayName", label: w.displayName, type: "text", value: values.displayName, attributes: `maxlength="${DISPLAY_NAME_MAX}" autocomplete="nickname"` })}
${field({ name: "password", label: w.password, hint: w.passwordHint, type: "password", attributes: `required minlength="${PASSWORD_MIN_LENGTH}" maxlength="${PASSWORD_MAX_LENGTH}" autocomplete="new-password"` })}
${field({ name: "passwordConfirm", label: w.passwordConfirm, type: "password", attributes: `required autocomplete="new-password"` })}
${field({ name: "email", label: w.email, hint: w.emailHint, type: "email", value: values.email, attributes: `maxlength="${EMAIL_MAX}" autocomplete="email"` })}
${options.kind === "application" ? field({ name: "reason", label: w.reason, hint: w.reasonHint, type: "textarea", value: values.reason, attributes: `required maxlength="${JOIN_REASON_MAX}"` }) : ""}
<section class="charter" aria-labelledby="join-charter-heading">
<h2 id="join-charter-heading">${escapeHtml(w.charterHeading)}</h2>
${charterHtml(lang, options.charter)}
</section>
<div class="field"><input id="join-charter" name="charter" type="checkbox" value="yes" required${values.charter ? " checked" : ""}${charterProblem ? ' aria-describedby="join-charter-error" aria-invalid="true"' : ""}>
<label for="join-charter">${escapeHtml(w.charter)}</label>
${charterProblem ? `<p class="field-error" id="join-charter-error">${escapeHtml(fieldError(lang, "charter", charterProblem))}</p>` : ""}</div>
<p><button type="submit">${escapeHtml(options.kind === "application" ? w.submitRequest : w.submitOpen)}</button></p>
</form>`;
}
