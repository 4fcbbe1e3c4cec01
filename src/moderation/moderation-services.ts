import type { AccountDeletionService } from "../accounts/account-deletion-service.ts";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import type { Mailer } from "../mail/mailer.ts";
import { createRemoteAccountActions, type RemoteAccountActions } from "./account-actions.ts";
import type { AuditLog } from "./audit-log.ts";
import { createDomainPoliciesService, type DomainPoliciesService } from "./domain-policies.ts";
import { createMemberActions, type MemberActions } from "./member-actions.ts";
import type { ModerationPolicy } from "./policy.ts";

/** Moderation by the instance: what `buildServices` (src/services.ts) adds. */
export interface ModerationServices {
  /** Every moderation action: who, what, on what, why (src/moderation/audit-log.ts). */
  auditLog: AuditLog;
  /** Blocked and limited domains (src/moderation/domain-policies.ts). */
  domainPolicies: DomainPoliciesService;
  /** Silenced and suspended remote accounts. */
  remoteAccounts: RemoteAccountActions;
  /** Warnings, freezes and suspensions of members. */
  memberActions: MemberActions;
}

export function buildModerationServices(deps: {
  db: Db;
  policy: ModerationPolicy;
  actors: ActorsRepository;
  members: Pick<MembersService, "findByUsername">;
  accountDeletion: Pick<AccountDeletionService, "deleteAccount">;
  mailer: Pick<Mailer, "moderationNotice">;
  endSessions: (memberId: string) => Promise<unknown>;
  origin: URL;
  auditLog: AuditLog;
}): ModerationServices {
  const { db, policy, actors, auditLog } = deps;
  return {
    auditLog,
    domainPolicies: createDomainPoliciesService({
      db,
      auditLog,
      policy,
      actors,
      localHost: deps.origin.host,
    }),
    remoteAccounts: createRemoteAccountActions({ db, actors, auditLog, policy }),
    memberActions: createMemberActions({
      db,
      members: deps.members,
      auditLog,
      accountDeletion: deps.accountDeletion,
      mailer: deps.mailer,
      endSessions: deps.endSessions,
      origin: deps.origin,
    }),
  };
}
