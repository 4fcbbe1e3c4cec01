import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { isAdmin } from "../../accounts/roles-service.ts";
import type { Moderator } from "../../moderation/audit-log.ts";
import { type DomainPolicy, mastodonSeverity } from "../../moderation/domain-policies.ts";
import { DomainError } from "../../shared/errors.ts";
import { parseOrThrow } from "../../shared/validation.ts";
import { httpError } from "../encounter-body.ts";
import type { MastodonDeps } from "./deps.ts";
import { idOf, needs } from "./http-support.ts";

/**
 * Moderation through Mastodon's API: the published list of blocked domains
 * (`/api/v1/instance/domain_blocks`, 404 unless the admin publishes it, as Mastodon), the admin
 * API's domain blocks and account actions (admins only, with the admin scopes).
 */
export function registerAdminRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { services } = deps;
  const service = services.domainPolicies;

  /** The admin behind the token, or a 403 saying why. */
  function adminOf(request: FastifyRequest): Moderator {
    const member = deps.auth.grantOf(request).member;
    if (!member || !isAdmin(member)) {
      throw new DomainError("forbidden", "This action is for the instance's admins.");
    }
    return { memberId: member.id, via: "api" };
  }

  const digest = (host: string) => createHash("sha256").update(host).digest("hex");

  api.get("/api/v1/instance/domain_blocks", async () => {
    if (!(await service.isPublished())) {
      throw httpError(404, "This instance does not publish its list of blocked domains.");
    }
    return (await service.list()).map((p) => ({
      domain: p.host,
      digest: digest(p.host),
      severity: mastodonSeverity(p.severity),
      comment: p.publicReason ?? "",
    }));
  });

  const adminBlock = (p: DomainPolicy) => ({
    id: p.id,
    domain: p.host,
    digest: digest(p.host),
    created_at: p.createdAt.toISOString(),
    severity: mastodonSeverity(p.severity),
    reject_media: false,
    reject_reports: false,
    private_comment: p.privateComment,
    public_comment: p.publicReason,
    obfuscate: false,
  });

  const findBlock = async (request: FastifyRequest) => {
    const id = idOf(request, "domain block");
    const found = (await service.list()).find((p) => p.id === id);
    if (!found) throw httpError(404, "Record not found");
    return found;
  };

  api.get(
    "/api/v1/admin/domain_blocks",
    needs(deps, "admin:read:domain_blocks"),
    async (request) => {
      adminOf(request);
      return (await service.list()).map(adminBlock);
    },
  );

  api.get(
    "/api/v1/admin/domain_blocks/:id",
    needs(deps, "admin:read:domain_blocks"),
    async (request) => {
      adminOf(request);
      return adminBlock(await findBlock(request));
    },
  );

  const blockBody = z.object({
    domain: z.string().max(300),
    severity: z.enum(["silence", "suspend", "noop"]).default("silence"),
    public_comment: z.string().max(1000).optional(),
    private_comment: z.string().max(1000).optional(),
  });

  api.post(
    "/api/v1/admin/domain_blocks",
    needs(deps, "admin:write:domain_blocks"),
    async (request) => {
      const moderator = adminOf(request);
      const body = parseOrThrow(blockBody, request.body ?? {});
      if (body.severity === "noop") {
        throw httpError(422, "severity: noop is not supported here; use silence or suspend.");
      }
      const { policy } = await service.set(
        {
          host: body.domain,
          severity: body.severity === "suspend" ? "block" : "limit",
          publicReason: body.public_comment,
          privateComment: body.private_comment,
        },
        moderator,
      );
      return adminBlock(policy);
    },
  );

  api.delete(
    "/api/v1/admin/domain_blocks/:id",
    needs(deps, "admin:write:domain_blocks"),
    async (request) => {
      const moderator = adminOf(request);
      await service.remove((await findBlock(request)).host, moderator);
      return {};
    },
  );

  const actionBody = z.object({
    type: z.enum(["none", "sensitive", "disable", "silence", "suspend"]),
    text: z.string().max(1000).optional(),
  });

  api.post(
    "/api/v1/admin/accounts/:id/action",
    needs(deps, "admin:write:accounts"),
    async (request) => {
      const moderator = adminOf(request);
      const { type, text } = parseOrThrow(actionBody, request.body ?? {});
      const actor = await deps.repositories.actors.findById(idOf(request, "account"));
      if (!actor) throw httpError(404, "Record not found");
      // Marking media sensitive has no meaning here: encounters carry no sensitive flag.
      if (type === "sensitive") return {};
      if (actor.memberId) {
        if (type === "silence") {
          throw httpError(
            422,
            "A member of this instance is not silenced: disable (freeze) or suspend them.",
          );
        }
        const kind = type === "none" ? "warn" : type === "disable" ? "freeze" : "suspend";
        await services.memberActions.act(actor.username, kind, text, moderator);
        return {};
      }
      if (type === "none" || type === "disable") {
        throw httpError(422, "A remote account can be silenced or suspended.");
      }
      await services.remoteAccounts.act(actor.iri, type, text, moderator);
      return {};
    },
  );
}
