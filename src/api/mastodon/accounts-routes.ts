import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import qs from "qs";
import { z } from "zod";
import type { ProfileImages } from "../../accounts/profile-service.ts";
import type { ActorRow } from "../../actors/actors-repository.ts";
import type { Visibility } from "../../db/schema.ts";
import { DomainError } from "../../shared/errors.ts";
import { refuseNul } from "../../shared/input.ts";
import { parseOrThrow } from "../../shared/validation.ts";
import { httpError, multipartError } from "../encounter-body.ts";
import type { MastodonDeps } from "./deps.ts";
import {
  formBoolean,
  idOf,
  listParam,
  mayAuthenticate,
  memberViewer,
  needs,
  pageQuerySchema,
  presenterFor,
  setLinkHeader,
  setPageLinks,
  viewerOf,
} from "./http-support.ts";
import type { Viewer } from "./presenter.ts";
import { relationshipEntity } from "./relationship.ts";
import { encounterPage } from "./timelines-routes.ts";

const fieldsSchema = z
  .union([
    z.array(z.object({ name: z.string().default(""), value: z.string().default("") })),
    z.record(z.string(), z.object({ name: z.string().default(""), value: z.string().default("") })),
  ])
  .transform((f) => (Array.isArray(f) ? f : Object.values(f)));

/** What apps send to update_credentials; unknown fields (bot, source[privacy]…) are ignored. */
const updateCredentialsSchema = z.object({
  display_name: z.string().optional(),
  note: z.string().optional(),
  locked: formBoolean.optional(),
  discoverable: formBoolean.optional(),
  fields_attributes: fieldsSchema.optional(),
});

const lookupSchema = z.object({
  acct: z
    .string({ error: "is required: the account's username, or username@server" })
    .trim()
    .min(1, "is required: the account's username, or username@server")
    .max(300),
});

/** Accounts: the member's own (verify/update credentials), anyone's, and relationships. */
export function registerAccountRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { services, urls } = deps;
  const actors = deps.repositories.actors;

  async function actorOf(request: FastifyRequest): Promise<ActorRow> {
    const actor = await actors.findById(idOf(request, "account"));
    if (!actor) throw new DomainError("not_found", "Record not found: no such account here.");
    return actor;
  }

  async function relationship(viewer: NonNullable<Viewer>, target: ActorRow) {
    const [outgoing, incoming, between] = await Promise.all([
      services.follows.stateBetween(viewer.actor.id, target.id),
      services.follows.stateBetween(target.id, viewer.actor.id),
      services.relations.between(viewer.actor.id, target.id),
    ]);
    return relationshipEntity(target.id, { outgoing, incoming }, between);
  }

  api.get("/api/v1/accounts/verify_credentials", needs(deps, "read:accounts"), async (request) =>
    (await presenterFor(deps, request)).credentials(),
  );

  api.patch(
    "/api/v1/accounts/update_credentials",
    needs(deps, "write:accounts"),
    async (request) => {
      const { member } = await memberViewer(deps, request);
      const { fields, images } = await readCredentialsBody(request);
      const body = parseOrThrow(updateCredentialsSchema, fields);
      await services.profiles.update(
        member.username,
        {
          displayName: body.display_name,
          bio: body.note,
          fields: body.fields_attributes,
          manuallyApprovesFollowers: body.locked,
          discoverable: body.discoverable,
        },
        images,
      );
      return (await presenterFor(deps, request)).credentials();
    },
  );

  api.get("/api/v1/accounts/lookup", mayAuthenticate(deps), async (request) => {
    const { acct } = parseOrThrow(lookupSchema, request.query ?? {});
    const [username, host] = acct.replace(/^@/, "").split("@") as [string, string | undefined];
    const local = !host || host.toLowerCase() === urls.origin.host;
    const actor = local
      ? await services.members
          .findByUsername(username)
          .then((m) => (m ? actors.findByMemberId(m.id) : undefined))
      : await actors.findByHandle(username, host);
    if (!actor)
      throw new DomainError("not_found", `Record not found: no account ${acct} known here.`);
    return (await presenterFor(deps, request)).account(actor);
  });

  api.get("/api/v1/accounts/relationships", needs(deps, "read:follows"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const ids = listParam(request.query, "id").slice(0, 40);
    const found = await Promise.all(ids.map((id) => actors.findById(id)));
    return Promise.all(found.flatMap((actor) => (actor ? [relationship(viewer, actor)] : [])));
  });

  api.get("/api/v1/accounts/:id", mayAuthenticate(deps), async (request) =>
    (await presenterFor(deps, request)).account(await actorOf(request)),
  );

  api.get("/api/v1/accounts/:id/statuses", mayAuthenticate(deps), async (request, reply) => {
    const target = await actorOf(request);
    const query = parseOrThrow(
      pageQuerySchema.extend({
        exclude_replies: z.string().optional(),
        only_media: formBoolean.optional(),
        pinned: formBoolean.optional(),
      }),
      request.query ?? {},
    );
    const viewer = await viewerOf(deps, request);
    const presenter = await presenterFor(deps, request);
    // Nothing is pinned here.
    if (query.pinned) return [];
    const visibilities: Visibility[] =
      viewer?.actor.id === target.id
        ? ["public", "unlisted", "followers", "participants", "private"]
        : viewer && (await services.follows.stateBetween(viewer.actor.id, target.id)) === "accepted"
          ? ["public", "unlisted", "followers"]
          : ["public", "unlisted"];
    const views = await encounterPage(deps, query, (options) =>
      deps.repositories.encounters.listByAuthor(target.id, { ...options, visibilities }),
    );
    const shown = query.only_media ? views.filter((v) => v.photo) : views;
    const statuses = await presenter.statuses(shown);
    setLinkHeader(reply, request, urls.origin, statuses, query.limit);
    return statuses;
  });

  api.get("/api/v1/accounts/:id/followers", needs(deps, "read:accounts"), async (request, reply) =>
    followList(request, reply, "followers"),
  );
  api.get("/api/v1/accounts/:id/following", needs(deps, "read:accounts"), async (request, reply) =>
    followList(request, reply, "following"),
  );

  /** Newest follow first; `max_id` / `min_id` are follows' ids, as in Mastodon's `Link`. */
  async function followList(
    request: FastifyRequest,
    reply: FastifyReply,
    side: "followers" | "following",
  ) {
    const target = await actorOf(request);
    const query = parseOrThrow(pageQuerySchema, request.query ?? {});
    // The lists of a remote account live on its server.
    if (!target.memberId) return [];
    const keyOf = async (id: string | undefined) => (id ? services.follows.keyOf(id) : undefined);
    const [before, after] = await Promise.all([
      keyOf(query.max_id),
      keyOf(query.min_id ?? query.since_id),
    ]);
    const page = await services.follows[side](target.username, {
      limit: query.limit,
      before,
      after,
    });
    const presenter = await presenterFor(deps, request);
    setPageLinks(reply, request, urls.origin, {
      first: page.first?.id,
      last: page.last?.id,
      more: page.next !== undefined,
    });
    return Promise.all(page.items.map(presenter.account));
  }

  api.post("/api/v1/accounts/:id/follow", needs(deps, "write:follows"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const target = await actorOf(request);
    if (target.id === viewer.actor.id) {
      throw new DomainError("invalid", "You cannot follow yourself.");
    }
    if (!(await services.follows.stateBetween(viewer.actor.id, target.id))) {
      await services.follows.followIri(viewer.member.username, target.iri);
    }
    return relationship(viewer, target);
  });

  api.post("/api/v1/accounts/:id/unfollow", needs(deps, "write:follows"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const target = await actorOf(request);
    if (await services.follows.stateBetween(viewer.actor.id, target.id)) {
      await services.follows.unfollow(viewer.member.username, target.iri);
    }
    return relationship(viewer, target);
  });

  api.get("/api/v1/follow_requests", needs(deps, "read:follows"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const pending = await services.follows.pendingFollowers(viewer.member.username);
    const presenter = await presenterFor(deps, request);
    return Promise.all(pending.map(presenter.account));
  });

  for (const action of ["authorize", "reject"] as const) {
    api.post(
      `/api/v1/follow_requests/:id/${action}`,
      needs(deps, "write:follows"),
      async (request) => {
        const viewer = await memberViewer(deps, request);
        const follower = await actorOf(request);
        if (action === "authorize") {
          await services.follows.approveFollower(viewer.member.username, follower.iri);
        } else {
          await services.follows.rejectFollower(viewer.member.username, follower.iri);
        }
        return relationship(viewer, follower);
      },
    );
  }
}

const IMAGE_PARTS = new Set(["avatar", "header"]);

/** The fields (a form, JSON, or multipart with `avatar`/`header` files) of update_credentials. */
async function readCredentialsBody(
  request: FastifyRequest,
): Promise<{ fields: Record<string, unknown>; images: ProfileImages }> {
  if (!request.isMultipart()) {
    const body = request.body ?? {};
    if (typeof body !== "object" || Array.isArray(body)) {
      throw httpError(400, "The body must be a JSON object or a form.");
    }
    return { fields: body as Record<string, unknown>, images: {} };
  }
  const flat: string[] = [];
  const images: ProfileImages = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === "file") {
        const bytes = await part.toBuffer();
        if (!IMAGE_PARTS.has(part.fieldname)) {
          throw httpError(422, `Unexpected file "${part.fieldname}": send "avatar" or "header".`);
        }
        if (bytes.length > 0) images[part.fieldname as "avatar" | "header"] = bytes;
        continue;
      }
      if (part.valueTruncated) throw httpError(413, `The field "${part.fieldname}" is too long.`);
      flat.push(`${encodeURIComponent(part.fieldname)}=${encodeURIComponent(String(part.value))}`);
    }
  } catch (error) {
    throw multipartError(error, {
      one: "An image is",
      limit: 'Send at most two files, the parts "avatar" and "header".',
    });
  }
  const fields = qs.parse(flat.join("&"), { depth: 3, arrayLimit: 40 }) as Record<string, unknown>;
  refuseNul(fields);
  return { fields, images };
}
