import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { isStaff } from "../../accounts/roles-service.ts";
import type { ActorRow } from "../../actors/actors-repository.ts";
import {
  categoryFromMastodon,
  categoryToMastodon,
  REPORT_COMMENT_MAX,
} from "../../moderation/reports-input.ts";
import type { ReportView } from "../../moderation/reports-service.ts";
import { DomainError } from "../../shared/errors.ts";
import { isUuid } from "../../shared/input.ts";
import { parseOrThrow } from "../../shared/validation.ts";
import { mastodonDate } from "./dates.ts";
import type { MastodonDeps } from "./deps.ts";
import { formBoolean, idOf, listParam, memberViewer, needs, presenterFor } from "./http-support.ts";
import { relationshipEntity } from "./relationship.ts";

const reportBodySchema = z.object({
  account_id: z.string({ error: "is required: the id of the account you report" }).max(100),
  comment: z
    .string()
    .max(REPORT_COMMENT_MAX, `is ${REPORT_COMMENT_MAX} characters at most: shorten it`)
    .default(""),
  category: z.enum(["spam", "legal", "violation", "other"]).optional(),
  forward: formBoolean.default(false),
});

const domainSchema = z.object({
  domain: z.string({ error: "is required: a server's domain, such as example.org" }).max(300),
});

/**
 * Reports, blocks, mutes and a member's blocked domains, as Mastodon apps call them; and the
 * moderators' report queue (`/api/v1/admin/reports`, for admins and moderators).
 */
export function registerModerationRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { services } = deps;
  const actors = deps.repositories.actors;

  async function accountOf(request: FastifyRequest): Promise<ActorRow> {
    const actor = await actors.findById(idOf(request, "account"));
    if (!actor) throw new DomainError("not_found", "Record not found: no such account here.");
    return actor;
  }

  async function relationship(viewerActorId: string, target: ActorRow) {
    const [outgoing, incoming, between] = await Promise.all([
      services.follows.stateBetween(viewerActorId, target.id),
      services.follows.stateBetween(target.id, viewerActorId),
      services.relations.between(viewerActorId, target.id),
    ]);
    return relationshipEntity(target.id, { outgoing, incoming }, between);
  }

  async function reportEntity(request: FastifyRequest, report: ReportView) {
    const presenter = await presenterFor(deps, request);
    return {
      id: report.id,
      action_taken: report.state === "resolved",
      action_taken_at: report.resolvedAt ? mastodonDate(report.resolvedAt) : null,
      category: categoryToMastodon(report.category),
      comment: report.comment,
      forwarded: report.forwarded,
      created_at: mastodonDate(report.createdAt),
      status_ids: report.encounter ? [report.encounter.id] : null,
      rule_ids: null,
      target_account: await presenter.account(report.target),
    };
  }

  api.post("/api/v1/reports", needs(deps, "write:reports"), async (request) => {
    const { member } = await memberViewer(deps, request);
    const body = parseOrThrow(reportBodySchema, request.body ?? {});
    const target = isUuid(body.account_id) ? await actors.findById(body.account_id) : undefined;
    if (!target) throw new DomainError("not_found", "Record not found: no such account here.");
    // A status is one of our encounters or a reply; the first one leads (it names the account).
    const statusId = listParam(request.body, "status_ids").find(isUuid);
    const encounter = statusId ? await deps.repositories.encounters.findById(statusId) : undefined;
    const reply =
      statusId && !encounter ? await deps.repositories.replies.findById(statusId) : undefined;
    const report = await services.reports.file(member.username, {
      accountId: target.id,
      encounterId: encounter?.authorId === target.id ? encounter.id : undefined,
      replyId: reply?.authorId === target.id ? reply.id : undefined,
      category: categoryFromMastodon(body.category),
      comment: body.comment,
      forward: body.forward,
    });
    return reportEntity(request, report);
  });

  for (const action of ["block", "unblock", "mute", "unmute"] as const) {
    const scope = action.endsWith("block") ? "write:blocks" : "write:mutes";
    api.post(`/api/v1/accounts/:id/${action}`, needs(deps, scope), async (request) => {
      const { member, actor } = await memberViewer(deps, request);
      const target = await accountOf(request);
      await services.blocks[action](member.username, target.id);
      return relationship(actor.id, target);
    });
  }

  api.get("/api/v1/blocks", needs(deps, "read:blocks"), async (request) => {
    const { member } = await memberViewer(deps, request);
    const presenter = await presenterFor(deps, request);
    return Promise.all(
      (await services.blocks.blocked(member.username)).map((a) => presenter.account(a)),
    );
  });

  api.get("/api/v1/mutes", needs(deps, "read:mutes"), async (request) => {
    const { member } = await memberViewer(deps, request);
    const presenter = await presenterFor(deps, request);
    return Promise.all(
      (await services.blocks.muted(member.username)).map((a) => presenter.account(a)),
    );
  });

  api.get("/api/v1/domain_blocks", needs(deps, "read:blocks"), async (request) => {
    const { member } = await memberViewer(deps, request);
    return services.blocks.blockedDomains(member.username);
  });

  api.post("/api/v1/domain_blocks", needs(deps, "write:blocks"), async (request) => {
    const { member } = await memberViewer(deps, request);
    const { domain } = parseOrThrow(domainSchema, request.body ?? request.query ?? {});
    await services.blocks.blockDomain(member.username, domain);
    return {};
  });

  api.delete("/api/v1/domain_blocks", needs(deps, "write:blocks"), async (request) => {
    const { member } = await memberViewer(deps, request);
    const input = request.body && Object.keys(request.body).length ? request.body : request.query;
    const { domain } = parseOrThrow(domainSchema, input ?? {});
    await services.blocks.unblockDomain(member.username, domain);
    return {};
  });

  // The moderators' queue: admins and moderators only (403 for any other member).
  async function staff(request: FastifyRequest) {
    const viewer = await memberViewer(deps, request);
    if (!isStaff(viewer.member)) {
      throw new DomainError("forbidden", "Only the instance's admins and moderators read reports.");
    }
    return viewer;
  }

  api.get("/api/v1/admin/reports", needs(deps, "read"), async (request) => {
    await staff(request);
    const query = parseOrThrow(z.object({ resolved: formBoolean.optional() }), request.query ?? {});
    const listed = await services.reports.list({ all: query.resolved === true, limit: 100 });
    const chosen = query.resolved === true ? listed.filter((r) => r.state === "resolved") : listed;
    return Promise.all(chosen.map((report) => adminReportEntity(request, report)));
  });

  api.post("/api/v1/admin/reports/:id/resolve", needs(deps, "write"), async (request) => {
    const { member } = await staff(request);
    const report = await services.reports.resolve(idOf(request, "report"), {
      moderatorId: member.id,
      via: "api",
    });
    return adminReportEntity(request, report);
  });

  async function adminReportEntity(request: FastifyRequest, report: ReportView) {
    const presenter = await presenterFor(deps, request);
    const base = await reportEntity(request, report);
    return {
      ...base,
      updated_at: mastodonDate(report.resolvedAt ?? report.createdAt),
      account: await presenter.account(report.reporter),
      target_account: base.target_account,
      assigned_account: null,
      action_taken_by_account: null,
      statuses: [],
      rules: [],
    };
  }
}
