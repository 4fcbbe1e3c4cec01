import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ReplyView } from "../encounters/replies-repository.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import { replyInputSchema } from "../encounters/reply-input.ts";
import { DomainError } from "../shared/errors.ts";
import { uuidSchema } from "../shared/input.ts";
import { parseOrThrow } from "../shared/validation.ts";
import { type BearerAuth, privateApiScope } from "./auth.ts";
import { replyJsonSchema, replyToApiJson } from "./encounter-json.ts";
import { API_PREFIX } from "./encounters-routes.ts";
import { error, jsonContent, type Operation } from "./openapi-operation.ts";
import { idParam } from "./params.ts";

export interface RepliesApiDeps {
  auth: BearerAuth;
  replies: RepliesService;
}

export const listRepliesQuerySchema = z.object({
  limit: z.coerce
    .number({ error: "must be a number from 1 to 100" })
    .int("must be a whole number from 1 to 100")
    .min(1, "must be from 1 to 100")
    .max(100, "must be from 1 to 100")
    .default(40),
  after: uuidSchema
    .optional()
    .meta({ description: "id of the last reply of the previous page (nextAfter)" }),
});

export const replyListJsonSchema = z.object({
  items: z.array(replyJsonSchema),
  totalItems: z.number().int().meta({ description: "How many replies you may read in all" }),
  nextAfter: z
    .uuid()
    .nullable()
    .meta({ description: "Pass as `after` for the next page; null on the last" }),
});

/** The replies of an encounter, a page at a time, oldest first (a thread reads downwards). */
function pageAfter(replies: ReplyView[], after: string | undefined, limit: number) {
  const start = after ? replies.findIndex((r) => r.id === after) + 1 : 0;
  if (after && start === 0) {
    throw new DomainError(
      "invalid",
      `after must be the id of a reply of this encounter you can see, as nextAfter gives it; ${after} is none.`,
    );
  }
  const items = replies.slice(start, start + limit);
  const last = items.at(-1);
  return {
    items: items.map(replyToApiJson),
    totalItems: replies.length,
    nextAfter: last && start + items.length < replies.length ? last.id : null,
  };
}

/** Replies through the own JSON API: the same service the C2S outbox (and later the Mastodon API) calls. */
export async function registerRepliesApi(app: FastifyInstance, deps: RepliesApiDeps) {
  const { auth, replies } = deps;
  await app.register(
    async (api) => {
      // Followers-only replies are someone's private words: no shared cache keeps them.
      privateApiScope(api, auth);
      const me = (request: FastifyRequest) => auth.memberOf(request).username;

      api.post("/encounters/:id/replies", async (request, reply) => {
        const id = idParam(request, "encounter");
        const input = parseOrThrow(replyInputSchema, request.body ?? {});
        const view = await replies.reply(me(request), id, input);
        return reply
          .status(201)
          .header("Location", `${API_PREFIX}/replies/${view.id}`)
          .send(replyToApiJson(view));
      });

      api.get("/encounters/:id/replies", async (request) => {
        const id = idParam(request, "encounter");
        const query = parseOrThrow(listRepliesQuerySchema, request.query ?? {});
        const visible = await replies.list(id, { username: me(request) });
        return pageAfter(visible, query.after, query.limit);
      });

      api.get("/replies/:id", async (request) =>
        replyToApiJson(await replies.visibleTo(me(request), idParam(request, "reply"))),
      );

      api.delete("/replies/:id", async (request, reply) => {
        await replies.delete(me(request), idParam(request, "reply"));
        return reply.status(204).send();
      });
    },
    { prefix: API_PREFIX },
  );
}

/* The replies' operations in the OpenAPI document (src/api/openapi.ts). */

export const REPLY_OPERATIONS: Operation[] = [
  {
    method: "post",
    path: "/encounters/{id}/replies",
    summary:
      "Reply to an encounter you may see (or, with inReplyTo, to one of its replies). Federated like a Mastodon reply: inReplyTo the encounter, mentioning and delivered to its author, never more visible than the encounter",
    body: jsonContent("ReplyInput"),
    responses: {
      201: { description: "Created; Location is its API URL", content: jsonContent("Reply") },
      404: error("No encounter (or reply) you can see"),
      422: error("A field is invalid, or the encounter takes no replies; the message says why"),
    },
  },
  {
    method: "get",
    path: "/encounters/{id}/replies",
    summary: "The replies of an encounter that you may read, oldest first",
    query: listRepliesQuerySchema,
    responses: {
      200: { description: "A page", content: jsonContent("ReplyList") },
      404: error("No encounter you can see"),
      422: error("after is not the id of a reply you can see"),
    },
  },
  {
    method: "get",
    path: "/replies/{id}",
    summary: "One reply you may read",
    responses: {
      200: { description: "The reply", content: jsonContent("Reply") },
      404: error("None you can see"),
    },
  },
  {
    method: "delete",
    path: "/replies/{id}",
    summary: "Delete your reply (federated as Delete)",
    responses: { 204: { description: "Deleted" }, 404: error("Not yours") },
  },
];

export function REPLY_SCHEMAS(schemaOf: (schema: z.ZodType, io: "input" | "output") => object) {
  return {
    ReplyInput: schemaOf(replyInputSchema, "input"),
    Reply: schemaOf(replyJsonSchema, "output"),
    ReplyList: schemaOf(replyListJsonSchema, "output"),
  };
}
