import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import type { CosignService } from "../encounters/cosign-service.ts";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import type { EncountersService } from "../encounters/encounters-service.ts";
import type { LikesService } from "../encounters/likes-service.ts";
import type { OwnActivities } from "../encounters/own-activities.ts";
import type { ReplyView } from "../encounters/replies-repository.ts";
import type { RepliesService } from "../encounters/replies-service.ts";
import { activityToCommand, type C2sCommand } from "../federation/mappers/c2s-activity.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import { refuseNul } from "../shared/input.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { type BearerAuth, scopeByMethod } from "./auth.ts";
import { httpError } from "./encounter-body.ts";

export const C2S_BODY_LIMIT = 1024 * 1024;
const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const ACTIVITY_JSON = "application/activity+json";

export interface C2sOutboxDeps {
  auth: BearerAuth;
  urls: LocalUrls;
  encounters: Pick<EncountersService, "create" | "update" | "delete" | "getOwnByIri">;
  replies: Pick<RepliesService, "replyToIri" | "findOwnByIri" | "delete">;
  cosign: Pick<CosignService, "cosign" | "decline" | "namingMember">;
  likes: Pick<LikesService, "like" | "unlike">;
  ownActivities: Pick<OwnActivities, "undo">;
  follows: Pick<FollowsService, "followIri" | "unfollow">;
  /** The `Create(Note)` of a new encounter as the federation sends it: its id and JSON-LD. */
  renderCreate(view: EncounterView): Promise<{ id: string; json: unknown }>;
  /** The `Note` of a reply as the federation sends and serves it (JSON-LD). */
  renderReply(view: ReplyView): Promise<unknown>;
}

/** What a C2S POST answers: 201, the IRI to find the result at (if durable) and a body. */
interface Outcome {
  location?: string;
  body: unknown;
}

/** `application/activity+json`, or `application/ld+json` with the ActivityStreams profile. */
export function isActivityContentType(header: string | undefined): boolean {
  if (!header) return false;
  const [type = "", ...params] = header.split(";").map((p) => p.trim());
  if (type.toLowerCase() === ACTIVITY_JSON) return true;
  if (type.toLowerCase() !== "application/ld+json") return false;
  return params.some((p) => {
    const match = /^profile\s*=\s*"?([^"]*)"?$/i.exec(p);
    return match?.[1]?.split(/\s+/).includes(AS_CONTEXT) ?? false;
  });
}

/**
 * `POST /users/:username/outbox` (ActivityPub client-to-server). Only POST: the GET is
 * Fedify's public outbox collection, served by the Fedify bridge's onRequest hook.
 */
export async function registerC2sOutbox(app: FastifyInstance, deps: C2sOutboxDeps) {
  const { auth, urls } = deps;
  await app.register(async (outbox) => {
    // The body is read as bytes and parsed here, so every bad body gets our own message.
    outbox.removeAllContentTypeParsers();
    outbox.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: C2S_BODY_LIMIT },
      (_r, body, done) => done(null, body),
    );
    outbox.setErrorHandler((error: FastifyError) => {
      if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        throw httpError(413, `The activity is larger than ${C2S_BODY_LIMIT / 1024 / 1024} MiB.`);
      }
      throw error;
    });
    // Checked before the body is read: who, whose outbox, then what kind of body.
    outbox.addHook("onRequest", auth.hook);
    outbox.addHook("preHandler", scopeByMethod(auth));
    outbox.addHook(
      "onRequest",
      async (request: FastifyRequest<{ Params: { username: string } }>, reply) => {
        const member = auth.memberOf(request);
        if (request.params.username.toLowerCase() !== member.username) {
          return reply.status(403).send({
            error: `This token belongs to ${member.username}: post to /users/${member.username}/outbox.`,
          });
        }
        if (!isActivityContentType(request.headers["content-type"])) {
          return reply.status(415).send({
            error: `Send the activity as ${ACTIVITY_JSON} or application/ld+json; profile="${AS_CONTEXT}".`,
          });
        }
      },
    );

    outbox.post("/users/:username/outbox", async (request, reply) => {
      const member = auth.memberOf(request);
      const json = parseJson(request.body);
      const command = activityToCommand(json, {
        followersIri: urls.followers(member.username).href,
      });
      const outcome = await execute(deps, member.username, command);
      reply.status(201).header("Content-Type", `${ACTIVITY_JSON}; charset=utf-8`);
      if (outcome.location) reply.header("Location", outcome.location);
      return reply.send(JSON.stringify(outcome.body));
    });
  });
}

function parseJson(body: unknown): unknown {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  let json: unknown;
  try {
    // TextDecoder drops a byte-order mark, which some clients write.
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw httpError(400, "The body is not valid JSON.");
  }
  // Read as bytes, so the edge hook (src/http/input-guards.ts) could not look inside.
  refuseNul(json);
  return json;
}

/** Parses nothing and checks nothing: each command is one call to the service that owns it. */
async function execute(
  deps: C2sOutboxDeps,
  username: string,
  command: C2sCommand,
): Promise<Outcome> {
  const actor = deps.urls.actor(username).href;
  const activity = (type: string, object: unknown, id?: string) => ({
    "@context": AS_CONTEXT,
    ...(id ? { id } : {}),
    type,
    actor,
    object,
  });
  switch (command.kind) {
    case "create": {
      const view = await deps.encounters.create(username, command.input);
      const create = await deps.renderCreate(view);
      return { location: create.id, body: create.json };
    }
    case "reply": {
      const view = await deps.replies.replyToIri(username, command.inReplyTo, command.input);
      return { location: view.iri, body: activity("Create", await deps.renderReply(view)) };
    }
    case "update": {
      const own = await deps.encounters.getOwnByIri(username, command.objectIri);
      const view = await deps.encounters.update(username, own.id, command.patch);
      return { location: view.iri, body: activity("Update", view.iri) };
    }
    case "delete": {
      const reply = await deps.replies.findOwnByIri(username, command.objectIri);
      if (reply) {
        await deps.replies.delete(username, reply.id);
        return { body: activity("Delete", reply.iri) };
      }
      const own = await deps.encounters.getOwnByIri(username, command.objectIri);
      await deps.encounters.delete(username, own.id);
      return { body: activity("Delete", own.iri) };
    }
    case "follow": {
      const { activityIri } = await deps.follows.followIri(username, command.targetIri);
      return { location: activityIri, body: activity("Follow", command.targetIri, activityIri) };
    }
    case "unfollow":
      await deps.follows.unfollow(username, command.targetIri);
      return { body: activity("Undo", { type: "Follow", actor, object: command.targetIri }) };
    case "cosign": {
      const view = await deps.cosign.namingMember(username, command.objectIri);
      const cosigned = await deps.cosign.cosign(username, view.id);
      const mine = cosigned.participants.find((p) => p.actor?.iri === actor);
      const id = mine?.cosignActivityIri ?? undefined;
      return { location: id, body: activity("Announce", view.iri, id) };
    }
    case "decline": {
      const view = await deps.cosign.namingMember(username, command.objectIri);
      await deps.cosign.decline(username, view.id);
      return { body: activity("Undo", { type: "Announce", actor, object: view.iri }) };
    }
    case "like": {
      const liked = await deps.likes.like(username, command.objectIri);
      return {
        location: liked.activityIri,
        body: activity("Like", liked.objectIri, liked.activityIri),
      };
    }
    case "unlike": {
      const undone = await deps.likes.unlike(username, command.iri);
      const like = { ...(undone.activityIri ? { id: undone.activityIri } : {}), type: "Like" };
      return { body: activity("Undo", { ...like, actor, object: undone.objectIri }) };
    }
    case "undo": {
      const id = command.activityIri;
      const own = await deps.ownActivities.undo(username, id);
      const [type, object] =
        own.kind === "follow"
          ? ["Follow", own.targetIri]
          : [own.kind === "announce" ? "Announce" : "Like", own.objectIri];
      return { body: activity("Undo", { id, type, actor, object }) };
    }
  }
}
