import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { MAX_ANSWER_COUNT } from "../exposure/model/answer-parser.ts";
import {
  trackerSettingsInt as int,
  trackerSettingsPatchSchema,
} from "../exposure/tracker-settings-input.ts";
import type { TrackerSettingsService } from "../exposure/tracker-settings-service.ts";
import {
  AskAgainTooSoonError,
  LinkRateLimitedError,
  type WeeklyQuestionService,
} from "../exposure/weekly-question-service.ts";
import type { Checkin } from "../exposure/weekly-question-types.ts";
import { isStorableDate } from "../shared/input.ts";
import { parseOrThrow } from "../shared/validation.ts";
import { type BearerAuth, privateApiScope } from "./auth.ts";

export { trackerSettingsPatchSchema };

import { API_PREFIX } from "./encounters-routes.ts";

export const checkinBodySchema = z
  .object({
    answer: z.enum(["yes", "no"], { error: 'answer must be "yes" or "no"' }),
    count: int("count", 1, MAX_ANSWER_COUNT).optional(),
    weekStart: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "weekStart must be a date YYYY-MM-DD (a Monday)")
      .refine((day) => isStorableDate(new Date(`${day}T00:00:00Z`)), {
        error: "weekStart must be a date from the year 0001 on",
        abort: true,
      })
      .refine(isMonday, "weekStart must be a Monday (weeks start on Monday)")
      .optional(),
  })
  .strict()
  .refine((b) => b.answer === "yes" || b.count === undefined, {
    message: 'count goes with answer "yes" only',
  });

export const linkBodySchema = z
  .object({
    account: z
      .string({ error: "account must be @user@host or an actor URL" })
      .trim()
      .min(3, "account must be @user@host or an actor URL")
      .max(500, "account must be at most 500 characters"),
  })
  .strict();

export const checkinHistoryQuerySchema = z.object({
  limit: z.coerce
    .number({ error: "limit must be a number from 1 to 520" })
    .int("limit must be a whole number")
    .min(1, "limit must be from 1 to 520")
    .max(520, "limit must be from 1 to 520")
    .default(52),
});

function isMonday(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) && date.getUTCDay() === 1
  );
}

const checkinJson = (c: Checkin) => ({
  weekStart: c.weekStart,
  answer: c.answer,
  count: c.count,
  source: c.source,
  answeredAt: c.answeredAt.toISOString(),
});

export interface TrackerSettingsApiDeps {
  auth: BearerAuth;
  settings: TrackerSettingsService;
  weeklyQuestions: WeeklyQuestionService;
}

/** The member's own tracker settings, weekly check-ins and linked account; bearer token required. */
export async function registerTrackerSettingsApi(
  app: FastifyInstance,
  deps: TrackerSettingsApiDeps,
) {
  const { auth, settings, weeklyQuestions } = deps;
  await app.register(
    async (api) => {
      privateApiScope(api, auth);
      const me = (request: Parameters<typeof auth.memberOf>[0]) => auth.memberOf(request);

      api.get("/tracker/settings", async (request) => settings.get(me(request).id));

      api.patch("/tracker/settings", async (request) =>
        settings.update(
          me(request).id,
          parseOrThrow(trackerSettingsPatchSchema, request.body ?? {}),
        ),
      );

      api.post("/tracker/checkins", async (request, reply) => {
        const body = parseOrThrow(checkinBodySchema, request.body ?? {});
        const checkin = await weeklyQuestions.checkIn(me(request).id, body, "api");
        return reply.status(201).send(checkinJson(checkin));
      });

      api.get("/tracker/checkins", async (request) => {
        const { limit } = parseOrThrow(checkinHistoryQuerySchema, request.query ?? {});
        return { items: (await weeklyQuestions.checkins(me(request).id, limit)).map(checkinJson) };
      });

      api.post("/tracker/link", async (request, reply) => {
        const { account } = parseOrThrow(linkBodySchema, request.body ?? {});
        try {
          const link = await weeklyQuestions.requestLink(me(request), account);
          return reply.status(202).send(link);
        } catch (error) {
          if (!(error instanceof LinkRateLimitedError)) throw error;
          return reply.status(429).header("Retry-After", "86400").send({ error: error.message });
        }
      });

      api.delete("/tracker/link", async (request, reply) => {
        await weeklyQuestions.unlink(me(request).id);
        return reply.status(204).send();
      });

      api.post("/tracker/question", async (request, reply) => {
        try {
          return reply.status(202).send(await weeklyQuestions.askAgain(me(request).id));
        } catch (error) {
          if (!(error instanceof AskAgainTooSoonError)) throw error;
          return reply
            .status(429)
            .header("Retry-After", String(error.retryAfterSeconds))
            .send({ error: error.message });
        }
      });
    },
    { prefix: API_PREFIX },
  );
}
