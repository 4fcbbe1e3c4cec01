import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { MAX_WEEKS, type SeriesService } from "../exposure/series-service.ts";
import { DomainError } from "../shared/errors.ts";
import { type BearerAuth, privateApiScope } from "./auth.ts";
import { API_PREFIX } from "./encounters-routes.ts";
import type { Operation } from "./openapi-operation.ts";

/*
 * The weekly series and the last-seen list of the authenticated member. No route takes
 * a username or a member id: each answers about the bearer of the token, nobody else.
 */

export interface TrackerSeriesApiDeps {
  auth: BearerAuth;
  series: SeriesService;
}

export const weeksQuerySchema = z.object({
  weeks: z.coerce
    .number({ error: "weeks must be a whole number" })
    .int({ error: "weeks must be a whole number" })
    .min(1, { error: `weeks must be between 1 and ${MAX_WEEKS}` })
    .max(MAX_WEEKS, { error: `weeks must be between 1 and ${MAX_WEEKS}` })
    .default(12),
});

export async function registerTrackerSeriesApi(app: FastifyInstance, deps: TrackerSeriesApiDeps) {
  const { auth, series } = deps;
  await app.register(
    async (api) => {
      privateApiScope(api, auth);
      const me = (request: FastifyRequest) => auth.memberOf(request).id;

      api.get("/tracker/weeks", async (request) => {
        const query = (request.query ?? {}) as Record<string, unknown>;
        // An empty `weeks=` is a mistake, not "the default".
        const parsed = weeksQuerySchema.safeParse(query.weeks === "" ? { weeks: "x" } : query);
        if (!parsed.success) {
          throw new DomainError(
            "invalid",
            `${parsed.error.issues[0]?.message ?? "bad weeks"}, for example ?weeks=12.`,
          );
        }
        return (await series.series(me(request), parsed.data.weeks)).weeks;
      });

      api.get("/tracker/last-seen", async (request) => series.lastSeen(me(request)));
    },
    { prefix: API_PREFIX },
  );
}

const errorContent = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
const STATUS_VALUES = ["isole", "equilibre", "surexpose", "expose_mais_isole"];

/** Their entries in the OpenAPI document (src/api/openapi.ts). */
export const TRACKER_SERIES_OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/tracker/weeks",
    summary:
      "Your weekly series, oldest week first, the current week last; weeks follow your time zone and start on Monday. microcovids only in pandemic mode",
    query: weeksQuerySchema,
    responses: {
      200: {
        description: "One entry per week",
        content: {
          "application/json": {
            schema: {
              type: "array",
              items: {
                type: "object",
                required: [
                  "weekStart",
                  "satisfyingEncounters",
                  "encounters",
                  "distinctPeople",
                  "rch",
                  "status",
                ],
                properties: {
                  weekStart: { type: "string", format: "date" },
                  satisfyingEncounters: { type: "integer" },
                  encounters: { type: "integer" },
                  distinctPeople: { type: "integer" },
                  rch: { type: "number", description: "reference contact-hours" },
                  microcovids: { type: "number" },
                  status: { type: "string", enum: STATUS_VALUES },
                },
              },
            },
          },
        },
      },
      422: {
        description: `weeks is not a whole number from 1 to ${MAX_WEEKS}`,
        content: errorContent,
      },
    },
  },
  {
    method: "get",
    path: "/tracker/last-seen",
    summary:
      "Everyone you met in the last two years, the longest unseen first, with their circle and whether to remind you (intimate after 7 days, close after 30)",
    responses: {
      200: {
        description: "People",
        content: {
          "application/json": {
            schema: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  name: { type: "string" },
                  actorIri: { type: ["string", "null"] },
                  circle: {
                    type: ["string", "null"],
                    enum: ["intimate", "close", "friends", "weak_tie", null],
                  },
                  lastSeen: { type: "string", format: "date" },
                  daysSince: { type: "integer" },
                  reminder: { type: "boolean" },
                },
              },
            },
          },
        },
      },
    },
  },
];
