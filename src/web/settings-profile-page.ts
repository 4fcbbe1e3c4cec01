import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Member } from "../accounts/members-service.ts";
import {
  BIO_MAX,
  DISPLAY_NAME_MAX,
  FIELD_NAME_MAX,
  FIELD_VALUE_MAX,
  FIELDS_MAX,
  type ProfilePatchInput,
  profilePatchSchema,
} from "../accounts/profile-input.ts";
import type { ProfileImages, ProfileService } from "../accounts/profile-service.ts";
import { multipartError } from "../api/encounter-body.ts";
import { PROFILE_MULTIPART_LIMITS } from "../api/profile-routes.ts";
import { isPhotoRejectedError, PROFILE_IMAGE_SIZES } from "../media/photo-processor.ts";
import { DomainError } from "../shared/errors.ts";
import { escapeHtml } from "../shared/html.ts";
import {
  checkbox,
  type FieldErrors,
  fieldError,
  fieldId,
  formError,
  invalidAttrs,
  notice,
} from "./form-kit.ts";
import type { Language } from "./i18n.ts";
import type { WebKit } from "./web-kit.ts";

/*
 * /settings/profile: name, bio, fields, avatar and header, follower approval and listing.
 * A multipart form (the images) in a scope of its own, whose parser puts every part in the
 * body before the CSRF check reads its token; the same service as PATCH /profile, so a change
 * federates as an Update(Person) to the member's followers.
 */

export interface ProfilePageDeps {
  web: WebKit;
  profiles: Pick<ProfileService, "update">;
}

const W = {
  fr: {
    title: "Profil",
    intro:
      "Ce que tu montres de toi : sur ta page publique, et à tes abonné·es du fédiverse, qui reçoivent chaque changement.",
    publicPage: "Voir ma page publique",
    saved: "Profil enregistré ; tes abonné·es en sont informé·es.",
    displayName: "Nom affiché",
    bio: "Bio",
    bioHint: "Texte simple ; les adresses deviennent des liens.",
    fields: "Champs du profil",
    fieldsHint:
      "Jusqu'à {max} paires nom / valeur ; une valeur qui est une adresse devient un lien.",
    fieldName: "Nom {n}",
    fieldValue: "Valeur {n}",
    images: "Images",
    avatar: "Avatar (carré, 400 × 400)",
    header: "Bannière (1500 × 500)",
    imageHint:
      "JPEG, PNG, WebP, HEIC… 10 Mo au plus ; les métadonnées (lieu, appareil) sont retirées.",
    removeAvatar: "Retirer l'avatar",
    removeHeader: "Retirer la bannière",
    current: "Actuelle :",
    audience: "Abonnements et annuaire",
    manual: "Approuver moi-même chaque nouvel·le abonné·e",
    discoverable: "Apparaître dans la liste des membres de l'instance et les annuaires",
    save: "Enregistrer",
    tooLong: "Au plus {max} caractères.",
    needsName: "Un champ qui a une valeur a besoin d'un nom.",
    removeAndNew: "Choisis une nouvelle image ou le retrait, pas les deux.",
    refused: "Le formulaire n'a pas pu être lu : {reason}",
    again: "Choisis de nouveau les images, s'il y en avait : un navigateur ne les garde pas.",
  },
  en: {
    title: "Profile",
    intro:
      "What you show of yourself: on your public page, and to your fediverse followers, who receive each change.",
    publicPage: "See my public page",
    saved: "Profile saved; your followers are told.",
    displayName: "Display name",
    bio: "Bio",
    bioHint: "Plain text; addresses become links.",
    fields: "Profile fields",
    fieldsHint: "Up to {max} name / value pairs; a value that is an address becomes a link.",
    fieldName: "Name {n}",
    fieldValue: "Value {n}",
    images: "Images",
    avatar: "Avatar (square, 400 × 400)",
    header: "Header image (1500 × 500)",
    imageHint: "JPEG, PNG, WebP, HEIC… 10 MB at most; metadata (place, device) is removed.",
    removeAvatar: "Remove the avatar",
    removeHeader: "Remove the header image",
    current: "Current:",
    audience: "Followers and directory",
    manual: "Approve each new follower myself",
    discoverable: "Appear in the instance's list of members and in directories",
    save: "Save",
    tooLong: "At most {max} characters.",
    needsName: "A field with a value needs a name.",
    removeAndNew: "Choose a new image or its removal, not both.",
    refused: "The form could not be read: {reason}",
    again: "Choose the images again, if there were any: a browser does not keep them.",
  },
} as const;

const ROWS = Array.from({ length: FIELDS_MAX }, (_, i) => i);

/** What the form shows again: its texts as typed, its boxes. */
type Values = Record<string, string>;

function valuesOf(member: Member): Values {
  const values: Values = {
    displayName: member.displayName,
    bio: member.bio,
    manuallyApprovesFollowers: member.manuallyApprovesFollowers ? "on" : "",
    discoverable: member.discoverable ? "on" : "",
  };
  member.fields.forEach((field, i) => {
    values[`fields[${i}][name]`] = field.name;
    values[`fields[${i}][value]`] = field.value;
  });
  return values;
}

/** The parsed multipart body as the service's patch and images, or the errors by field. */
function readForm(body: Record<string, unknown>, lang: Language) {
  const w = W[lang];
  const values: Values = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string") values[key] = value;
  }
  const text = (name: string) => values[name] ?? "";
  const patch: ProfilePatchInput = {
    displayName: text("displayName"),
    bio: text("bio"),
    fields: ROWS.map((i) => ({
      name: text(`fields[${i}][name]`),
      value: text(`fields[${i}][value]`),
    })),
    manuallyApprovesFollowers: values.manuallyApprovesFollowers === "on",
    discoverable: values.discoverable === "on",
  };
  const errors: FieldErrors = {};
  const parsed = profilePatchSchema.safeParse(patch);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [top, index, part] = issue.path;
      const field =
        top === "fields" && index !== undefined
          ? `fields[${String(index)}][${String(part ?? "name")}]`
          : String(top);
      const max =
        field === "displayName"
          ? DISPLAY_NAME_MAX
          : field === "bio"
            ? BIO_MAX
            : part === "value"
              ? FIELD_VALUE_MAX
              : FIELD_NAME_MAX;
      if (top === "fields" && index === undefined) {
        // "each field needs a name": next to the first value without one.
        const nameless = ROWS.find(
          (i) =>
            text(`fields[${i}][name]`).trim() === "" && text(`fields[${i}][value]`).trim() !== "",
        );
        errors[`fields[${nameless ?? 0}][name]`] ??= w.needsName;
      } else {
        errors[field] ??= w.tooLong.replace("{max}", String(max));
      }
    }
  }
  const images: ProfileImages = {};
  for (const kind of ["avatar", "header"] as const) {
    const flag = kind === "avatar" ? "removeAvatar" : "removeHeader";
    const file = body[kind];
    const chosen = Buffer.isBuffer(file) && file.length > 0 ? file : undefined;
    if (values[flag] === "on" && chosen) errors[kind] = w.removeAndNew;
    else if (values[flag] === "on") images[kind] = null;
    else if (chosen) images[kind] = chosen;
  }
  return { patch, images, values, errors };
}

export function registerProfileSettingsPage(scope: FastifyInstance, deps: ProfilePageDeps): void {
  const { web } = deps;
  // The multipart parser for this page alone: every part in the body, files as buffers.
  scope.register(async (page) => {
    await page.register(multipart, {
      attachFieldsToBody: "keyValues",
      limits: PROFILE_MULTIPART_LIMITS,
    });

    async function form(
      request: FastifyRequest,
      reply: FastifyReply,
      member: Member,
      state: { values?: Values; errors?: FieldErrors; status?: number; saved?: boolean },
    ) {
      const context = await web.context(request, reply);
      const w = W[context.lang];
      const values = state.values ?? valuesOf(member);
      const errors = state.errors ?? {};
      const input = (name: string, label: string, max: number) =>
        `<p><label for="${fieldId(name)}">${escapeHtml(label)}</label>
<input id="${fieldId(name)}" name="${name}" type="text" maxlength="${max * 2}" value="${escapeHtml(values[name] ?? "")}"${invalidAttrs(errors, name)}></p>
${fieldError(errors, name)}`;
      const box = (name: string, label: string) => checkbox(values, name, label);
      const image = (
        kind: "avatar" | "header",
        label: string,
        remove: string,
        url: string | null,
      ) =>
        `<p><label for="${kind}">${escapeHtml(label)}</label>
<input id="${kind}" name="${kind}" type="file" accept="image/*"${invalidAttrs(errors, kind)}></p>
${fieldError(errors, kind)}
${url ? `<p class="current-image">${escapeHtml(w.current)} <img src="${escapeHtml(url)}" alt="" class="${kind}-preview" width="${PROFILE_IMAGE_SIZES[kind].width}" height="${PROFILE_IMAGE_SIZES[kind].height}" loading="lazy" decoding="async"></p>\n${box(kind === "avatar" ? "removeAvatar" : "removeHeader", remove)}` : ""}`;
      const rows = ROWS.map(
        (i) => `<div class="field-row">
${input(`fields[${i}][name]`, w.fieldName.replace("{n}", String(i + 1)), FIELD_NAME_MAX)}
${input(`fields[${i}][value]`, w.fieldValue.replace("{n}", String(i + 1)), FIELD_VALUE_MAX)}
</div>`,
      ).join("\n");
      const body = `<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro)} <a href="/@${escapeHtml(member.username)}">${escapeHtml(w.publicPage)}</a></p>
${state.saved ? notice(w.saved) : ""}${formError(errors)}
<form method="post" action="/settings/profile" enctype="multipart/form-data" class="settings">
${context.csrfField()}
${input("displayName", w.displayName, DISPLAY_NAME_MAX)}
<p><label for="bio">${escapeHtml(w.bio)}</label>
<textarea id="bio" name="bio" maxlength="${BIO_MAX * 2}"${invalidAttrs(errors, "bio")}>${escapeHtml(values.bio ?? "")}</textarea>
<small class="hint">${escapeHtml(w.bioHint)}</small></p>
${fieldError(errors, "bio")}
<fieldset><legend>${escapeHtml(w.fields)}</legend>
<p class="hint">${escapeHtml(w.fieldsHint.replace("{max}", String(FIELDS_MAX)))}</p>
${rows}
</fieldset>
<fieldset><legend>${escapeHtml(w.images)}</legend>
<p class="hint">${escapeHtml(w.imageHint)}</p>
${image("avatar", w.avatar, w.removeAvatar, member.avatarUrl)}
${image("header", w.header, w.removeHeader, member.headerUrl)}
</fieldset>
<fieldset><legend>${escapeHtml(w.audience)}</legend>
${box("manuallyApprovesFollowers", w.manual)}
${box("discoverable", w.discoverable)}
</fieldset>
<p><button type="submit">${escapeHtml(w.save)}</button></p>
</form>`;
      return web.send(reply, context, { title: w.title, body, status: state.status });
    }

    // A body the parser refused (an image too big, too many parts): the form again, saying why.
    // Requests whose body was read: an error before that is the parser's (a malformed body).
    const parsed = new WeakSet<FastifyRequest>();
    page.addHook("preHandler", async (request) => {
      parsed.add(request);
    });
    page.setErrorHandler(async (failure: FastifyError, request, reply) => {
      const error = (
        !parsed.has(request) && request.isMultipart()
          ? multipartError(failure, {
              one: "The image is",
              limit: "Send at most one avatar and one header image.",
            })
          : failure
      ) as FastifyError;
      const status = error.statusCode ?? 500;
      if (status >= 500 || request.method !== "POST") throw error;
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const { lang } = await web.context(request, reply);
      const reason = W[lang].refused.replace("{reason}", error.message);
      return form(request, reply, member, { errors: { form: reason }, status });
    });

    page.get("/settings/profile", async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const saved = (request.query as { saved?: unknown }).saved === "1";
      return form(request, reply, member, { saved });
    });

    page.post("/settings/profile", { preHandler: web.checkCsrf }, async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const { lang } = await web.context(request, reply);
      const w = W[lang];
      const body = (request.body ?? {}) as Record<string, unknown>;
      const { patch, images, values, errors } = readForm(body, lang);
      if (Object.keys(errors).length > 0) {
        return form(request, reply, member, { values, errors, status: 422 });
      }
      try {
        await deps.profiles.update(member.username, patch, images);
      } catch (error) {
        const rejected = isPhotoRejectedError(error);
        if (!rejected && !(error instanceof DomainError)) throw error;
        // An image refused: next to it when only one was sent; said again, as it is not kept.
        const sent = (["avatar", "header"] as const).filter((kind) => images[kind]);
        const field = rejected && sent.length === 1 ? (sent[0] as string) : "form";
        const message = sent.length > 0 ? `${error.message} ${w.again}` : error.message;
        const status = rejected ? error.status : 422;
        return form(request, reply, member, { values, errors: { [field]: message }, status });
      }
      return reply.redirect("/settings/profile?saved=1", 303);
    });
  });
}
