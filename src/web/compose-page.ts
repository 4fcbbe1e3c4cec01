import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Member } from "../accounts/members-service.ts";
import { multipartError, PHOTO_FORM_LIMITS } from "../api/encounter-body.ts";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import type { EncountersService } from "../encounters/encounters-service.ts";
import type { ParticipantResolver } from "../encounters/participants.ts";
import { localDateOf } from "../exposure/model/weeks.ts";
import type { PrivateFieldsService } from "../exposure/private-fields-service.ts";
import type { TrackerSettingsService } from "../exposure/tracker-settings-service.ts";
import { isPhotoRejectedError } from "../media/photo-processor.ts";
import type { MediaUpload, MediaUploadsService } from "../media/uploads-service.ts";
import { isDomainError } from "../shared/errors.ts";
import {
  type AttemptCounters,
  createFailedAttemptLimiter,
} from "../shared/failed-attempt-limiter.ts";
import { escapeHtml } from "../shared/html.ts";
import { isUuid, uuidSchema } from "../shared/input.ts";
import { composeFormHtml, deleteConfirmHtml, encounterPath } from "./compose-form.ts";
import {
  type ComposeValues,
  editableVisibilities,
  emptyComposeValues,
  type FieldErrors,
  namedRows,
  readComposeValues,
  toServiceInput,
  valuesOfEncounter,
} from "./compose-input.ts";
import { W } from "./compose-words.ts";
import { noStore } from "./session.ts";
import type { PageContext, WebKit } from "./web-kit.ts";

/*
 * Posting from the instance's own pages: /compose (a new encounter), /@me/<id>/edit and
 * /@me/<id>/delete, and /compose/lookup (the handle check app.js runs as one types). Every
 * change goes through the services the JSON API uses, so it federates the same way.
 */

export interface ComposePageDeps {
  web: WebKit;
  encounters: Pick<EncountersService, "create" | "update" | "delete" | "getOwn">;
  privateFields: Pick<PrivateFieldsService, "setPrivateFields" | "getPrivateFields">;
  mediaUploads: Pick<MediaUploadsService, "upload" | "get" | "claim">;
  /** The same resolver the encounters service names participants with. */
  participants: ParticipantResolver;
  trackerSettings: Pick<TrackerSettingsService, "read">;
  attemptCounters: AttemptCounters;
}

const ownParams = z.object({ username: z.string().min(1).max(64), id: uuidSchema });

/** `@name`, `name`, `@name@server`, `name@server`, or an actor's address. */
const lookupQuery = z.object({
  handle: z
    .string()
    .trim()
    .max(300)
    .transform((h) => (/^https?:\/\//i.test(h) ? h : `@${h.replace(/^@/, "")}`))
    .refine((h) => /^@[^\s@/]{1,64}(@[^\s@/]{1,253})?$/.test(h) || URL.canParse(h)),
});

/** Look-ups as one types: a few a second for a while, then the member waits a minute. */
const LOOKUPS_PER_MINUTE = 30;

export function registerComposePages(scope: FastifyInstance, deps: ComposePageDeps): void {
  const { web, encounters, privateFields, mediaUploads } = deps;
  // Counts every look-up of a member, not only failures: the limiter's window is what we need.
  const lookups = createFailedAttemptLimiter({
    counters: deps.attemptCounters,
    scope: "compose-lookups",
    maxFailures: LOOKUPS_PER_MINUTE,
    windowMs: 60_000,
  });

  async function today(member: Member): Promise<string> {
    const { timeZone } = await deps.trackerSettings.read(member.id);
    return localDateOf(new Date(), timeZone).toString();
  }

  /** Each named account resolved now, its error next to its row. */
  async function checkParticipants(values: ComposeValues, member: Member, errors: FieldErrors) {
    await Promise.all(
      namedRows(values).map(async ({ row, reference }) => {
        if (!/^@|^https?:\/\//i.test(reference) || errors[`participants.${row}`]) return;
        try {
          const actor = await deps.participants.resolve(reference);
          if (actor.memberId === member.id) errors[`participants.${row}`] = "participantSelf";
        } catch (error) {
          if (!isDomainError(error)) throw error;
          errors[`participants.${row}`] = "participantNotFound";
        }
      }),
    );
  }

  /** The photo the form carries: a new file, stored at once as a pending upload, or the one kept. */
  async function photoOf(
    member: Member,
    body: Record<string, unknown>,
    values: ComposeValues,
    errors: FieldErrors,
  ) {
    const bytes = body.photo;
    if (Buffer.isBuffer(bytes) && bytes.length > 0) {
      try {
        return await mediaUploads.upload(member.id, bytes);
      } catch (error) {
        if (!isPhotoRejectedError(error)) throw error;
        errors.photo = "photo";
        return undefined;
      }
    }
    if (!values.upload || values.removePhoto) return undefined;
    const kept = isUuid(values.upload)
      ? await mediaUploads.get(member.id, values.upload).catch(() => undefined)
      : undefined;
    if (!kept || kept.attachedAt) errors.photo = "photoGone";
    return kept && !kept.attachedAt ? kept : undefined;
  }

  /** Where the service refused what the form could not check itself (a date, a participant). */
  function serviceError(error: unknown, errors: FieldErrors) {
    if (!isDomainError(error) || error.code !== "invalid") throw error;
    const field = /^(occurredOn|visibility|participant|photoAlt|text|keywords)/.exec(
      error.message,
    )?.[1];
    if (field === "participant") errors.participants = "participantNotFound";
    else if (field) errors[field] = field;
    else errors.form = error.message;
  }

  function sendForm(
    reply: FastifyReply,
    context: PageContext,
    form: {
      mode: "create" | "edit";
      action: string;
      values: ComposeValues;
      errors: FieldErrors;
      today: string;
      upload?: MediaUpload;
      existing?: EncounterView;
    },
  ) {
    const w = W[context.lang];
    const title = form.mode === "create" ? w.composeTitle : w.editTitle;
    const kept = form.upload
      ? { ...form.upload.files, uploadId: form.upload.id }
      : form.existing?.photo && !form.values.removePhoto
        ? form.existing.photo
        : undefined;
    const body = `<h1>${escapeHtml(title)}</h1>
${form.mode === "create" ? `<p>${escapeHtml(w.intro)}</p>` : ""}
${composeFormHtml(context, {
  action: form.action,
  mode: form.mode,
  values: form.values,
  errors: form.errors,
  photo: kept,
  today: form.today,
  visibilities: form.existing
    ? editableVisibilities(form.existing.visibility)
    : ["public", "unlisted", "followers", "participants", "private"],
})}`;
    const status = Object.keys(form.errors).length > 0 ? 422 : 200;
    return web.send(noStore(reply), context, { title, body, status });
  }

  /** The member's own encounter named by the path, or a 404 page already sent. */
  async function ownEncounter(request: FastifyRequest, reply: FastifyReply, member: Member) {
    const params = ownParams.safeParse(request.params);
    const found =
      params.success && params.data.username.toLowerCase() === member.username
        ? await encounters.getOwn(member.username, params.data.id).catch((error: unknown) => {
            if (isDomainError(error) && error.code === "not_found") return undefined;
            throw error;
          })
        : undefined;
    if (found) return found;
    const context = await web.context(request, reply);
    web.sendMessage(noStore(reply), context, {
      status: 404,
      title: "notFound",
      text: { raw: W[context.lang].notYours },
    });
    return undefined;
  }

  scope.get("/compose", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const context = await web.context(request, reply);
    const date = await today(member);
    return sendForm(reply, context, {
      mode: "create",
      action: "/compose",
      values: emptyComposeValues(date),
      errors: {},
      today: date,
    });
  });

  scope.get("/compose/lookup", async (request, reply) => {
    const context = await web.context(request, reply);
    noStore(reply);
    const member = context.viewer?.member;
    if (!member) return reply.status(401).send({ error: "Log in to look people up." });
    const parsed = lookupQuery.safeParse(request.query ?? {});
    if (!parsed.success) {
      return reply.status(400).send({
        error: "handle must be @name, @name@server or the address of an account (https://…).",
      });
    }
    const wait = await lookups.retryAfter(member.id);
    if (wait > 0) {
      return reply
        .status(429)
        .header("retry-after", String(wait))
        .send({ error: `Too many look-ups: wait ${wait} seconds.` });
    }
    await lookups.recordFailure(member.id);
    try {
      const actor = await deps.participants.resolve(parsed.data.handle);
      const local = actor.memberId !== null;
      return {
        found: true,
        handle: local ? `@${actor.username}` : `@${actor.username}@${actor.host}`,
        name: actor.name.trim() || actor.username,
        self: actor.memberId === member.id,
      };
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return reply
        .status(404)
        .send({ found: false, error: W[context.lang].errors.participantNotFound });
    }
  });

  scope.get("/@:username/:id/edit", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const existing = await ownEncounter(request, reply, member);
    if (!existing) return reply;
    const context = await web.context(request, reply);
    const priv = await privateFields.getPrivateFields(member.username, existing.id);
    return sendForm(reply, context, {
      mode: "edit",
      action: encounterPath(existing, "/edit"),
      values: valuesOfEncounter(existing, priv),
      errors: {},
      today: await today(member),
      existing,
    });
  });

  scope.get("/@:username/:id/delete", async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const existing = await ownEncounter(request, reply, member);
    if (!existing) return reply;
    const context = await web.context(request, reply);
    const w = W[context.lang];
    const body = deleteConfirmHtml(
      context,
      encounterPath(existing, "/delete"),
      encounterPath(existing),
    );
    return web.send(noStore(reply), context, { title: w.deleteTitle, body });
  });

  scope.post("/@:username/:id/delete", { preHandler: web.checkCsrf }, async (request, reply) => {
    const member = await web.requireMember(request, reply);
    if (!member) return reply;
    const existing = await ownEncounter(request, reply, member);
    if (!existing) return reply;
    await encounters.delete(member.username, existing.id);
    return reply.redirect(`/@${encodeURIComponent(member.username)}`, 303);
  });

  // The forms with a photo: multipart, in their own scope with the API's photo limits.
  scope.register(async (forms) => {
    const parsed = new WeakSet<FastifyRequest>();
    await forms.register(multipart, {
      attachFieldsToBody: "keyValues",
      limits: PHOTO_FORM_LIMITS,
    });
    forms.addHook("preHandler", async (request) => {
      parsed.add(request);
    });
    forms.setErrorHandler((error: FastifyError, request) => {
      // The body could not be read: the plugin's errors, reworded (a page for a browser).
      if (!parsed.has(request) && request.isMultipart()) {
        throw multipartError(error, {
          one: "The photo is",
          limit: "Send one photo at most.",
        });
      }
      throw error;
    });

    forms.post("/compose", { preHandler: web.checkCsrf }, async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const context = await web.context(request, reply);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const values = readComposeValues(body);
      const mapped = toServiceInput(values, "create");
      const errors: FieldErrors = mapped.ok ? {} : { ...mapped.errors };
      if (!errors.form) await checkParticipants(values, member, errors);
      const upload = errors.form ? undefined : await photoOf(member, body, values, errors);
      if (upload && !values.photoAlt.trim()) errors.photoAlt = "photoAlt";
      const form = {
        mode: "create" as const,
        action: "/compose",
        values,
        today: await today(member),
        upload,
      };
      if (!mapped.ok || Object.keys(errors).length > 0)
        return sendForm(reply, context, { ...form, errors });
      let view: EncounterView;
      try {
        view = await encounters.create(
          member.username,
          { ...mapped.encounter, photoAlt: upload ? values.photoAlt : undefined },
          upload?.files,
        );
      } catch (error) {
        serviceError(error, errors);
        return sendForm(reply, context, { ...form, errors });
      }
      if (upload) await mediaUploads.claim(member.id, upload.id).catch(() => {});
      if (mapped.hasPrivate) {
        await privateFields.setPrivateFields(member.username, view.id, mapped.private);
      }
      return reply.redirect(encounterPath(view), 303);
    });

    forms.post("/@:username/:id/edit", { preHandler: web.checkCsrf }, async (request, reply) => {
      const member = await web.requireMember(request, reply);
      if (!member) return reply;
      const existing = await ownEncounter(request, reply, member);
      if (!existing) return reply;
      const context = await web.context(request, reply);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const values = readComposeValues(body);
      // No choice sent (the form always sends one): the visibility stays as it is.
      values.visibility ||= existing.visibility;
      const mapped = toServiceInput(values, "edit");
      const errors: FieldErrors = mapped.ok ? {} : { ...mapped.errors };
      const allowed = editableVisibilities(existing.visibility);
      if (!allowed.includes(values.visibility as never)) errors.visibility = "visibility";
      if (!errors.form) await checkParticipants(values, member, errors);
      const upload = errors.form ? undefined : await photoOf(member, body, values, errors);
      const keepsPhoto = upload !== undefined || (existing.photo !== null && !values.removePhoto);
      if (keepsPhoto && !values.photoAlt.trim()) errors.photoAlt = "photoAlt";
      const form = {
        mode: "edit" as const,
        action: encounterPath(existing, "/edit"),
        values,
        today: await today(member),
        upload,
        existing,
      };
      if (!mapped.ok || Object.keys(errors).length > 0)
        return sendForm(reply, context, { ...form, errors });
      // Participants are written again only when they changed (their co-signatures stay).
      const before = valuesOfEncounter(
        existing,
        await privateFields.getPrivateFields(member.username, existing.id),
      );
      const same = (a: string[], b: string[]) =>
        a.length === b.length && a.every((x, i) => x === b[i]);
      const { participants, photoAlt: _alt, ...rest } = mapped.encounter;
      const patch = {
        ...rest,
        ...(same(
          participants,
          before.participants.filter((p) => p.trim()),
        )
          ? {}
          : { participants }),
        ...(keepsPhoto ? { photoAlt: values.photoAlt } : {}),
      };
      const photo = upload ? upload.files : values.removePhoto && existing.photo ? null : undefined;
      try {
        await encounters.update(member.username, existing.id, patch, photo);
      } catch (error) {
        serviceError(error, errors);
        return sendForm(reply, context, { ...form, errors });
      }
      if (upload) await mediaUploads.claim(member.id, upload.id).catch(() => {});
      await privateFields.setPrivateFields(member.username, existing.id, mapped.private);
      return reply.redirect(encounterPath(existing), 303);
    });
  });
}
