import { randomUUID } from "node:crypto";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import {
  actors,
  DOMAIN_SEVERITIES,
  type DomainSeverity,
  domainPolicies,
  instanceSettings,
} from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { parseOrThrow } from "../shared/validation.ts";
import { type AuditLog, type Moderator, REASON_LIMIT } from "./audit-log.ts";
import { hostCovers, normalizeHost } from "./hosts.ts";
import type { ModerationPolicy } from "./policy.ts";

export type DomainPolicy = typeof domainPolicies.$inferSelect;

export const REASON_MAX = REASON_LIMIT;

/** What an admin says about a domain, from a form, the CLI, the API or a CSV line. */
export const domainPolicyInput = z.object({
  host: z.string().max(300, "A domain name is at most 253 characters."),
  severity: z.enum(DOMAIN_SEVERITIES, { message: "The severity is block or limit." }),
  publicReason: z
    .string()
    .trim()
    .max(REASON_MAX, `A reason is at most ${REASON_MAX} characters.`)
    .optional(),
  privateComment: z
    .string()
    .trim()
    .max(REASON_MAX, `A comment is at most ${REASON_MAX} characters.`)
    .optional(),
});
export type DomainPolicyInput = z.input<typeof domainPolicyInput>;

/** What setting a policy did, for the page or the CLI to say. */
export interface DomainPolicyOutcome {
  policy: DomainPolicy;
  /** Remote actors of the domain forgotten, with their follows, encounters, replies and likes. */
  actorsRemoved: number;
}

export interface DomainPoliciesService {
  /** Blocks or limits a domain (and its subdomains); a block forgets what we held from it. */
  set(input: DomainPolicyInput, moderator: Moderator): Promise<DomainPolicyOutcome>;
  /** Lifts the policy of exactly this host; not found when there is none. */
  remove(host: string, moderator: Moderator): Promise<DomainPolicy>;
  list(): Promise<DomainPolicy[]>;
  /** Whether `/api/v1/instance/domain_blocks` answers (the admin's choice; off by default). */
  isPublished(): Promise<boolean>;
  setPublished(published: boolean, moderator: Moderator): Promise<void>;
}

const PUBLISH_KEY = "moderation.publish_domain_blocks";

export function createDomainPoliciesService(deps: {
  db: Db;
  auditLog: AuditLog;
  policy: Pick<ModerationPolicy, "invalidate">;
  actors: Pick<ActorsRepository, "deleteRemote">;
  /** This instance's host: never the subject of a policy. */
  localHost: string;
}): DomainPoliciesService {
  const { db, auditLog } = deps;

  /** Remote actors a block covers: a rough SQL filter, then the exact rule of hostCovers. */
  async function actorsCoveredBy(host: string): Promise<string[]> {
    const name = host.replace(/:\d+$/, "");
    const rows = await db
      .select({ iri: actors.iri, host: actors.host })
      .from(actors)
      .where(and(isNull(actors.memberId), sql`position(${name} in lower(${actors.host})) > 0`));
    return rows.filter((r) => hostCovers(host, r.host.toLowerCase())).map((r) => r.iri);
  }

  return {
    async set(raw, moderator) {
      const input = parseOrThrow(domainPolicyInput, raw);
      const host = normalizeHost(input.host);
      if (hostCovers(host, deps.localHost.toLowerCase())) {
        throw new DomainError("invalid", `${host} is (or covers) this instance's own host.`, {
          field: "host",
        });
      }
      const values = {
        severity: input.severity,
        publicReason: input.publicReason || null,
        privateComment: input.privateComment || null,
      };
      const policy = await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(domainPolicies)
          .values({ id: randomUUID(), host, createdBy: moderator.memberId, ...values })
          .onConflictDoUpdate({ target: domainPolicies.host, set: values })
          .returning();
        await auditLog.record(
          {
            moderator,
            action: `domain.${input.severity}`,
            subjectKind: "domain",
            subject: host,
            reason: values.publicReason,
          },
          tx,
        );
        return row as DomainPolicy;
      });
      deps.policy.invalidate();
      let actorsRemoved = 0;
      if (policy.severity === "block") {
        // Refused from now on (the policy is read again above); what we held goes with the actors.
        for (const iri of await actorsCoveredBy(host)) {
          if (await deps.actors.deleteRemote(iri)) actorsRemoved++;
        }
      }
      return { policy, actorsRemoved };
    },

    async remove(rawHost, moderator) {
      const host = normalizeHost(rawHost);
      const removed = await db.transaction(async (tx) => {
        const [row] = await tx
          .delete(domainPolicies)
          .where(eq(domainPolicies.host, host))
          .returning();
        if (!row) return undefined;
        await auditLog.record(
          {
            moderator,
            action: "domain.unblock",
            subjectKind: "domain",
            subject: host,
            details: { severity: row.severity },
          },
          tx,
        );
        return row;
      });
      if (!removed) {
        throw new DomainError("not_found", `No policy for ${host}: see the list of domains.`, {
          field: "host",
        });
      }
      deps.policy.invalidate();
      return removed;
    },

    list: () => db.select().from(domainPolicies).orderBy(asc(domainPolicies.host)),

    async isPublished() {
      const [row] = await db
        .select({ value: instanceSettings.value })
        .from(instanceSettings)
        .where(eq(instanceSettings.key, PUBLISH_KEY));
      return row?.value === "true";
    },

    async setPublished(published, moderator) {
      const value = String(published);
      const updatedAt = new Date();
      await db.transaction(async (tx) => {
        await tx
          .insert(instanceSettings)
          .values({ key: PUBLISH_KEY, value, updatedAt })
          .onConflictDoUpdate({ target: instanceSettings.key, set: { value, updatedAt } });
        await auditLog.record(
          {
            moderator,
            action: published ? "domains.publish" : "domains.unpublish",
            subjectKind: "instance",
            subject: "domain_blocks",
          },
          tx,
        );
      });
    },
  };
}

/** The Mastodon names of our severities. */
export const mastodonSeverity = (severity: DomainSeverity) =>
  severity === "block" ? "suspend" : "silence";
