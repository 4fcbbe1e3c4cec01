import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { EncounterView } from "../../encounters/encounters-repository.ts";
import type { ReplyView } from "../../encounters/replies-repository.ts";
import { ANYONE, mayRead } from "../../encounters/visibility.ts";
import { DomainError } from "../../shared/errors.ts";
import { parseOrThrow } from "../../shared/validation.ts";
import type { MastodonDeps } from "./deps.ts";
import {
  formBoolean,
  idOf,
  mayAuthenticate,
  memberViewer,
  needs,
  presenterFor,
  viewerOf,
} from "./http-support.ts";
import type { Viewer } from "./presenter.ts";
import { weeklyAnswerStatus } from "./status.ts";
import { namesNobodyMessage, parseStatusText, undescribedPhotoMessage } from "./status-text.ts";
import { fromMastodonVisibility, MASTODON_VISIBILITIES } from "./visibility.ts";

/** What apps post; fields Socialdapres has no use for (language, quote ids…) are ignored. */
const statusBodySchema = z.object({
  status: z
    .string({ error: "is required: write the encounter" })
    .max(5000, "is too long: an encounter is at most 280 characters"),
  media_ids: z
    .array(z.string().max(100))
    .max(1, "has more than one photo: an encounter carries one photo")
    .optional(),
  in_reply_to_id: z.string().max(100).optional(),
  sensitive: formBoolean.optional(),
  spoiler_text: z.string().max(500).optional(),
  visibility: z
    .enum(MASTODON_VISIBILITIES, { error: `must be one of ${MASTODON_VISIBILITIES.join(", ")}` })
    .optional(),
  poll: z.undefined({ error: "polls are not part of Socialdapres: post without one" }).optional(),
  scheduled_at: z
    .undefined({ error: "scheduled posts are not part of Socialdapres: post now" })
    .optional(),
});
type StatusBody = z.output<typeof statusBodySchema>;

/** Statuses are encounters (and replies under them): create, read, edit, delete, react. */
export function registerStatusRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { services } = deps;
  const { encounters: encounterRows, replies: replyRows } = deps.repositories;

  /** The encounter or reply at `:id` that this viewer may read; 404 otherwise. */
  async function findVisible(
    viewer: Viewer,
    id: string,
  ): Promise<{ encounter: EncounterView } | { reply: ReplyView }> {
    const encounter = await encounterRows.findById(id);
    if (encounter) {
      if (viewer) return { encounter: await services.access.visibleTo(viewer.member.username, id) };
      if (mayRead(encounter, ANYONE)) return { encounter };
    } else if (await replyRows.findById(id)) {
      if (viewer) return { reply: await services.replies.visibleTo(viewer.member.username, id) };
      const reply = await replyRows.findById(id);
      if (reply && (await services.replies.mayActorRead(reply, undefined))) return { reply };
    }
    throw new DomainError(
      "not_found",
      "Record not found: no status with this id that you can see.",
    );
  }

  async function render(
    request: FastifyRequest,
    found: { encounter: EncounterView } | { reply: ReplyView },
  ) {
    const presenter = await presenterFor(deps, request);
    return "encounter" in found ? presenter.status(found.encounter) : presenter.reply(found.reply);
  }

  async function ownEncounter(request: FastifyRequest) {
    const viewer = await memberViewer(deps, request);
    return {
      viewer,
      encounter: await services.encounters.getOwn(viewer.member.username, idOf(request, "status")),
    };
  }

  /** A status's words and people, as the encounter input the services read. */
  async function encounterInput(viewer: NonNullable<Viewer>, body: StatusBody) {
    const parts = parseStatusText(body.status);
    const participants = [...parts.mentions, ...parts.plainNames];
    if (participants.length === 0) {
      throw new DomainError("invalid", namesNobodyMessage(viewer.member.language));
    }
    return {
      text: parts.text,
      participants,
      keywords: parts.keywords,
      visibility: fromMastodonVisibility(body.visibility ?? "public", parts.mentions.length > 0),
    };
  }

  async function photoOf(viewer: NonNullable<Viewer>, body: StatusBody) {
    const id = body.media_ids?.[0];
    if (!id) return undefined;
    if (!/^[0-9a-f-]{36}$/i.test(id)) {
      throw new DomainError("invalid", `media_ids: no media ${id} of yours; upload it first.`);
    }
    const upload = await services.mediaUploads.get(viewer.member.id, id);
    if (!upload.description) {
      throw new DomainError("invalid", undescribedPhotoMessage(viewer.member.language));
    }
    if (upload.attachedAt) {
      throw new DomainError(
        "invalid",
        `media ${id} is already attached to a post: upload the photo again.`,
      );
    }
    return upload;
  }

  async function createStatus(
    request: FastifyRequest,
    viewer: NonNullable<Viewer>,
    body: StatusBody,
  ) {
    const presenter = await presenterFor(deps, request);
    const username = viewer.member.username;
    if (body.in_reply_to_id) {
      const parentId = body.in_reply_to_id;
      // A reply to the weekly question (its direct message) is that week's check-in.
      const asked = (await services.notifications.list(username, { limit: 200 })).find(
        (n) => n.id === parentId && n.kind === "weekly_question",
      );
      if (asked) {
        await services.weeklyQuestions.answerText(viewer.member.id, body.status);
        return weeklyAnswerStatus(randomUUID(), new Date(), {
          member: await presenter.account(viewer.actor),
          text: body.status,
          questionId: parentId,
          language: viewer.member.language,
        });
      }
      const parent = await findVisible(viewer, /^[0-9a-f-]{36}$/i.test(parentId) ? parentId : "-");
      const visibility =
        body.visibility === undefined ? undefined : fromMastodonVisibility(body.visibility, true);
      const replyVisibility = visibility === "private" ? "participants" : visibility;
      const reply =
        "encounter" in parent
          ? await services.replies.reply(username, parent.encounter.id, {
              text: body.status,
              visibility: replyVisibility,
            })
          : await services.replies.reply(username, parent.reply.encounterId, {
              text: body.status,
              inReplyTo: parent.reply.id,
              visibility: replyVisibility,
            });
      return presenter.reply(reply);
    }
    const input = await encounterInput(viewer, body);
    const upload = await photoOf(viewer, body);
    const view = await services.encounters.create(
      username,
      { ...input, photoAlt: upload?.description },
      upload?.files,
    );
    if (upload) await services.mediaUploads.claim(viewer.member.id, upload.id).catch(() => {});
    return presenter.status(view);
  }

  api.post("/api/v1/statuses", needs(deps, "write:statuses"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const body = parseOrThrow(statusBodySchema, request.body ?? {});
    const key = request.headers["idempotency-key"];
    return services.idempotencyKeys.run(
      viewer.member.id,
      typeof key === "string" ? key : undefined,
      () => createStatus(request, viewer, body),
    );
  });

  api.get("/api/v1/statuses/:id", mayAuthenticate(deps), async (request) =>
    render(request, await findVisible(await viewerOf(deps, request), idOf(request, "status"))),
  );

  api.delete("/api/v1/statuses/:id", needs(deps, "write:statuses"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const id = idOf(request, "status");
    const found = await findVisible(viewer, id);
    // Answered with what it was, `text` included, so an app can "delete and redraft".
    const rendered = await render(request, found);
    if ("encounter" in found) await services.encounters.delete(viewer.member.username, id);
    else await services.replies.delete(viewer.member.username, id);
    return rendered;
  });

  api.put("/api/v1/statuses/:id", needs(deps, "write:statuses"), async (request) => {
    const { viewer, encounter } = await ownEncounter(request);
    const body = parseOrThrow(statusBodySchema, request.body ?? {});
    const input = await encounterInput(viewer, body);
    const keepsPhoto = body.media_ids?.[0] === encounter.id;
    if (body.media_ids?.length && !keepsPhoto) {
      throw new DomainError(
        "invalid",
        "media_ids: the photo of an encounter cannot be replaced from an app yet: keep it, remove it, or change it on the web.",
      );
    }
    const view = await services.encounters.update(
      viewer.member.username,
      encounter.id,
      { text: input.text, participants: input.participants, keywords: input.keywords },
      body.media_ids !== undefined && body.media_ids.length === 0 ? null : undefined,
    );
    return (await presenterFor(deps, request)).status(view);
  });

  api.get("/api/v1/statuses/:id/source", needs(deps, "read:statuses"), async (request) => {
    const { viewer, encounter } = await ownEncounter(request);
    const plain = encounter.participants.flatMap((p) => (p.plainName ? [p.plainName] : []));
    const withWord = viewer.member.language.startsWith("fr") ? "avec" : "with";
    return {
      id: encounter.id,
      text:
        plain.length > 0 ? `${encounter.text}\n${withWord} ${plain.join(", ")}` : encounter.text,
      spoiler_text: encounter.contentWarning ?? "",
    };
  });

  api.get("/api/v1/statuses/:id/history", mayAuthenticate(deps), async (request) => {
    const found = await findVisible(await viewerOf(deps, request), idOf(request, "status"));
    const status = await render(request, found);
    // Earlier versions are not kept: the history is the version as it is now.
    return [
      {
        content: status.content,
        spoiler_text: status.spoiler_text,
        sensitive: status.sensitive,
        created_at: status.edited_at ?? status.created_at,
        account: status.account,
        poll: null,
        media_attachments: status.media_attachments,
        emojis: [],
      },
    ];
  });

  api.get("/api/v1/statuses/:id/context", mayAuthenticate(deps), async (request) => {
    const viewer = await viewerOf(deps, request);
    const found = await findVisible(viewer, idOf(request, "status"));
    const presenter = await presenterFor(deps, request);
    const reader = viewer ? { username: viewer.member.username } : ("anyone" as const);
    const encounterId = "encounter" in found ? found.encounter.id : found.reply.encounterId;
    const replies = await services.replies.list(encounterId, reader);
    if ("encounter" in found) {
      return { ancestors: [], descendants: await Promise.all(replies.map(presenter.reply)) };
    }
    const encounter = await encounterRows.findById(encounterId);
    const index = replies.findIndex((r) => r.id === found.reply.id);
    return {
      ancestors: [
        ...(encounter ? [await presenter.status(encounter)] : []),
        ...(await Promise.all(replies.slice(0, Math.max(index, 0)).map(presenter.reply))),
      ],
      descendants: await Promise.all(replies.slice(index + 1).map(presenter.reply)),
    };
  });

  api.post("/api/v1/statuses/:id/favourite", needs(deps, "write:favourites"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const { encounter } = await services.likes.likeEncounter(
      viewer.member.username,
      idOf(request, "status"),
    );
    return (await presenterFor(deps, request)).status(encounter);
  });

  api.post("/api/v1/statuses/:id/unfavourite", needs(deps, "write:favourites"), async (request) => {
    const viewer = await memberViewer(deps, request);
    const id = idOf(request, "status");
    const { encounter } = await services.likes.unlikeEncounter(viewer.member.username, id);
    return render(request, {
      encounter:
        encounter ?? ((await findVisible(viewer, id)) as { encounter: EncounterView }).encounter,
    });
  });

  /** Boosting is co-signing: only the people an encounter names can boost it. */
  async function namedIn(request: FastifyRequest) {
    const viewer = await memberViewer(deps, request);
    const found = await findVisible(viewer, idOf(request, "status"));
    if (
      !("encounter" in found) ||
      !found.encounter.participants.some((p) => p.actorId === viewer.actor.id)
    ) {
      throw new DomainError(
        "invalid",
        viewer.member.language.startsWith("fr")
          ? "Partager, ici, c'est cosigner : seules les personnes nommées dans une rencontre peuvent la partager."
          : "Boosting here is co-signing: only the people an encounter names can boost it.",
      );
    }
    return { viewer, encounter: found.encounter };
  }

  api.post("/api/v1/statuses/:id/reblog", needs(deps, "write:statuses"), async (request) => {
    const { viewer, encounter } = await namedIn(request);
    const view = await services.cosign.cosign(viewer.member.username, encounter.id);
    return (await presenterFor(deps, request)).cosign(view);
  });

  api.post("/api/v1/statuses/:id/unreblog", needs(deps, "write:statuses"), async (request) => {
    const { viewer, encounter } = await namedIn(request);
    const view = await services.cosign.decline(viewer.member.username, encounter.id);
    return (await presenterFor(deps, request)).status(view);
  });

  api.get("/api/v1/statuses/:id/reblogged_by", mayAuthenticate(deps), async (request) => {
    const found = await findVisible(await viewerOf(deps, request), idOf(request, "status"));
    if (!("encounter" in found)) return [];
    const presenter = await presenterFor(deps, request);
    const cosigners = found.encounter.participants.flatMap((p) =>
      p.cosignState === "cosigned" && p.actor ? [p.actor] : [],
    );
    return Promise.all(cosigners.map(presenter.account));
  });

  api.get("/api/v1/statuses/:id/favourited_by", mayAuthenticate(deps), async (request) => {
    const found = await findVisible(await viewerOf(deps, request), idOf(request, "status"));
    if (!("encounter" in found)) return [];
    const presenter = await presenterFor(deps, request);
    const likers = await services.likes.likersOf(found.encounter.id, 80);
    return Promise.all(likers.map(presenter.account));
  });
}
