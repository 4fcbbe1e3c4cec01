import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { CosignService } from "../encounters/cosign-service.ts";
import type { EncounterAccess } from "../encounters/encounter-access.ts";
import type { EncountersService } from "../encounters/encounters-service.ts";
import type { LikesService } from "../encounters/likes-service.ts";
import type { NotificationsService } from "../encounters/notifications-service.ts";
import { dateTimeParam } from "../shared/input.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { parseOrThrow } from "../shared/validation.ts";
import { type BearerAuth, scopeByMethod } from "./auth.ts";
import { httpError, PHOTO_FORM_LIMITS, readEncounterBody } from "./encounter-body.ts";
import { encounterToApiJson, notificationToApiJson } from "./encounter-json.ts";
import { idParam } from "./params.ts";

export const API_PREFIX = "/api/socialdapres/v1";

export interface EncounterApiDeps {
  auth: BearerAuth;
  encounters: EncountersService;
  cosign: CosignService;
  likes: LikesService;
  access: EncounterAccess;
  notifications: NotificationsService;
  urls: LocalUrls;
}

const cursor = dateTimeParam.optional();
const limit = (max: number) =>
  z.coerce
    .number({ error: `must be a number from 1 to ${max}` })
    .int(`must be a whole number from 1 to ${max}`)
    .min(1, `must be from 1 to ${max}`)
    .max(max, `must be from 1 to ${max}`)
    .default(20);

export const listEncountersQuerySchema = z.object({
  author: z
    .literal("me", { error: 'must be "me": only your own encounters can be listed here for now' })
    .default("me"),
  limit: limit(100),
  before: cursor.meta({ description: "publishedAt of the last encounter of the previous page" }),
});

export const listNotificationsQuerySchema = z.object({
  limit: limit(100),
  before: cursor.meta({ description: "createdAt of the last notification of the previous page" }),
  unread: z.enum(["true", "false"], { error: "must be true or false" }).optional(),
});

export const settingsPatchSchema = z
  .object({ autoCosignFromFollowed: z.boolean({ error: "must be true or false" }).optional() })
  .strict();

/** The own JSON API under /api/socialdapres/v1: every route needs a bearer token. */
export async function registerEncounterApi(app: FastifyInstance, deps: EncounterApiDeps) {
  const { auth, encounters, cosign, likes, access, notifications, urls } = deps;
  await app.register(
    async (api) => {
      await api.register(multipart, {
        limits: PHOTO_FORM_LIMITS,
      });
      // JSON or multipart only: Fastify's default text/plain parser would let text through.
      api.removeContentTypeParser("text/plain");
      api.addHook("onRequest", auth.hook);
      api.addHook("preHandler", scopeByMethod(auth));
      api.setErrorHandler((error: FastifyError) => {
        if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
          throw httpError(415, "Send application/json, or multipart/form-data with a photo part.");
        }
        // Everything else keeps the instance's one error shape (src/http/errors.ts).
        throw error;
      });
      const me = (request: FastifyRequest) => auth.memberOf(request).username;
      const location = (id: string) => `${API_PREFIX}/encounters/${id}`;

      api.post("/encounters", async (request, reply) => {
        const body = await readEncounterBody(request, "create");
        const view = await encounters.create(me(request), body.fields, body.photo);
        return reply
          .status(201)
          .header("Location", location(view.id))
          .send(encounterToApiJson(view));
      });

      api.get("/encounters", async (request) => {
        const query = parseOrThrow(listEncountersQuerySchema, request.query ?? {});
        const views = await access.listOwn(me(request), {
          limit: query.limit,
          before: query.before && { at: query.before },
        });
        const last = views.at(-1);
        return {
          items: views.map(encounterToApiJson),
          // Keyset paging: pass it back as `before` for the next page.
          nextBefore: last && views.length === query.limit ? last.publishedAt.toISOString() : null,
        };
      });

      api.get("/encounters/:id", async (request) =>
        encounterToApiJson(await access.visibleTo(me(request), idParam(request, "encounter"))),
      );

      api.patch("/encounters/:id", async (request) => {
        // The id first: a photo is not read for an encounter that cannot exist.
        const id = idParam(request, "encounter");
        const body = await readEncounterBody(request, "patch");
        const photo = body.removePhoto ? null : body.photo;
        return encounterToApiJson(await encounters.update(me(request), id, body.fields, photo));
      });

      api.delete("/encounters/:id", async (request, reply) => {
        await encounters.delete(me(request), idParam(request, "encounter"));
        return reply.status(204).send();
      });

      api.post("/encounters/:id/cosign", async (request) =>
        encounterToApiJson(await cosign.cosign(me(request), idParam(request, "encounter"))),
      );
      api.post("/encounters/:id/decline", async (request) =>
        encounterToApiJson(await cosign.decline(me(request), idParam(request, "encounter"))),
      );

      // Liking answers with the encounter as it now is (likesCount counts likes of ours only
      // for our own encounters: a remote encounter's count lives on its author's server).
      api.post("/encounters/:id/like", async (request) =>
        encounterToApiJson(
          (await likes.likeEncounter(me(request), idParam(request, "encounter"))).encounter,
        ),
      );
      api.delete("/encounters/:id/like", async (request, reply) => {
        const { encounter } = await likes.unlikeEncounter(
          me(request),
          idParam(request, "encounter"),
        );
        // A like of an encounter since deleted (or hidden from you) is taken back all the same.
        return encounter ? encounterToApiJson(encounter) : reply.status(204).send();
      });

      api.get("/notifications", async (request) => {
        const query = parseOrThrow(listNotificationsQuerySchema, request.query ?? {});
        const items = await notifications.list(me(request), {
          limit: query.limit,
          before: query.before && { at: query.before },
          unreadOnly: query.unread === "true",
        });
        const last = items.at(-1);
        return {
          items: items.map(notificationToApiJson),
          nextBefore: last && items.length === query.limit ? last.createdAt.toISOString() : null,
        };
      });

      api.post("/notifications/:id/read", async (request) =>
        notificationToApiJson(
          await notifications.markRead(me(request), idParam(request, "notification")),
        ),
      );

      api.get("/me", async (request) => {
        const member = auth.memberOf(request);
        return {
          username: member.username,
          displayName: member.displayName,
          bio: member.bio,
          actor: urls.actor(member.username).href,
          profileUrl: urls.profile(member.username).href,
          manuallyApprovesFollowers: member.manuallyApprovesFollowers,
          discoverable: member.discoverable,
          language: member.language,
          avatarUrl: member.avatarUrl,
          createdAt: member.createdAt.toISOString(),
          settings: await notifications.settings(member.username),
        };
      });

      api.patch("/me/settings", async (request) => {
        const patch = parseOrThrow(settingsPatchSchema, request.body ?? {});
        return notifications.updateSettings(me(request), patch);
      });
    },
    { prefix: API_PREFIX },
  );
}
