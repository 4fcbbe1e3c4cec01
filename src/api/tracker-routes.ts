import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { CIRCLES, DISTANCES, MASKS, SETTINGS, VOICES } from "../db/schema.ts";
import type {
  PrivateFieldsService,
  PrivateFieldsView,
} from "../exposure/private-fields-service.ts";
import { type TrackerDataService, trackerExportToCsv } from "../exposure/tracker-data-service.ts";
import { parseOrThrow } from "../shared/validation.ts";
import { type BearerAuth, privateApiScope } from "./auth.ts";
import { API_PREFIX } from "./encounters-routes.ts";
import { idParam } from "./params.ts";

/*
 * The private tracker's own routes: every one answers about the authenticated member
 * only. No route takes a username: nobody — an admin with a token included — can ask
 * for another member's tracker data; an encounter of someone else is a 404.
 */

export interface TrackerApiDeps {
  auth: BearerAuth;
  privateFields: PrivateFieldsService;
  trackerData: TrackerDataService;
}

export const exportQuerySchema = z.object({
  format: z.enum(["json", "csv"], { error: "must be json or csv" }).default("json"),
});

const nullableEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values).nullable();

/** What GET/PUT …/private answers (documented in the OpenAPI document). */
export const privateFieldsJsonSchema = z.object({
  encounterId: z.uuid(),
  othersPresent: z.number().int().nullable(),
  setting: nullableEnum(SETTINGS),
  durationMinutes: z.number().int().nullable(),
  distance: nullableEnum(DISTANCES),
  theirMask: nullableEnum(MASKS),
  myMask: nullableEnum(MASKS),
  voice: nullableEnum(VOICES),
  satisfying: z.boolean().nullable(),
  updatedAt: z.iso.datetime({ offset: true }).nullable().meta({ description: "null: none set" }),
  participants: z.array(
    z.object({
      participantId: z.uuid(),
      position: z.number().int(),
      name: z.string(),
      circle: nullableEnum(CIRCLES),
    }),
  ),
});

export const trackerDeletionJsonSchema = z.object({
  privateFields: z.number().int(),
  circles: z.number().int(),
  checkins: z.number().int(),
  questions: z.number().int(),
  questionsKept: z.number().int().meta({
    description:
      "Questions of the last 15 days, kept (their messages forgotten) so you are not asked twice the same week",
  }),
  directMessages: z.number().int().meta({
    description:
      "The instance actor's direct messages to your linked account (question, answers), forgotten",
  }),
  settingsReset: z.boolean(),
  privateEncounters: z
    .number()
    .int()
    .meta({ description: "Private-only encounters deleted with the tracker" }),
});

export function privateFieldsToJson(
  view: PrivateFieldsView,
): z.infer<typeof privateFieldsJsonSchema> {
  return {
    encounterId: view.encounterId,
    othersPresent: view.othersPresent,
    setting: view.setting,
    durationMinutes: view.durationMinutes,
    distance: view.distance,
    theirMask: view.theirMask,
    myMask: view.myMask,
    voice: view.voice,
    satisfying: view.satisfying,
    updatedAt: view.updatedAt?.toISOString() ?? null,
    participants: view.participants.map((p) => ({
      participantId: p.participantId,
      position: p.position,
      name: p.name,
      circle: p.circle,
    })),
  };
}

export async function registerTrackerApi(app: FastifyInstance, deps: TrackerApiDeps) {
  const { auth, privateFields, trackerData } = deps;
  await app.register(
    async (api) => {
      privateApiScope(api, auth);
      const me = (request: FastifyRequest) => auth.memberOf(request).username;

      api.get("/encounters/:id/private", async (request) =>
        privateFieldsToJson(
          await privateFields.getPrivateFields(me(request), idParam(request, "encounter")),
        ),
      );

      api.put("/encounters/:id/private", async (request) =>
        privateFieldsToJson(
          await privateFields.setPrivateFields(
            me(request),
            idParam(request, "encounter"),
            request.body as Parameters<PrivateFieldsService["setPrivateFields"]>[2],
          ),
        ),
      );

      api.delete("/encounters/:id/private", async (request, reply) => {
        await privateFields.deletePrivateFields(me(request), idParam(request, "encounter"));
        return reply.status(204).send();
      });

      api.get("/tracker/export", async (request, reply) => {
        const { format } = parseOrThrow(exportQuerySchema, request.query ?? {});
        const data = await trackerData.exportData(me(request));
        const day = data.exportedAt.slice(0, 10);
        if (format === "csv") {
          return reply
            .type("text/csv; charset=utf-8")
            .header("content-disposition", `attachment; filename="tracker-${day}.csv"`)
            .send(trackerExportToCsv(data));
        }
        return reply
          .header("content-disposition", `attachment; filename="tracker-${day}.json"`)
          .send(data);
      });

      api.delete("/tracker", async (request) => trackerData.deleteAll(me(request)));
    },
    { prefix: API_PREFIX },
  );
}
