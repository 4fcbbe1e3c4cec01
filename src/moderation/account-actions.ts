import { eq } from "drizzle-orm";
import type { ActorRow, ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { actors } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { type AuditLog, type AuditRecord, type Moderator, moderationReason } from "./audit-log.ts";
import type { ModerationPolicy } from "./policy.ts";

export type RemoteActionKind = "silence" | "unsilence" | "suspend" | "unsuspend";

/** What the moderators see of a remote account on /admin/accounts/:account. */
export interface RemoteModeration {
  handle: string;
  iri: string;
  suspendedAt: Date | null;
  silencedAt: Date | null;
  history: AuditRecord[];
}

export interface RemoteAccountActions {
  /** `user@host`, `@user@host` or the actor's URL → the known remote actor; not found otherwise. */
  find(account: string): Promise<ActorRow>;
  act(
    account: string,
    kind: RemoteActionKind,
    reason: string | undefined,
    moderator: Moderator,
  ): Promise<RemoteModeration>;
  status(account: string): Promise<RemoteModeration>;
}

/** `user@host` as the audit log and the admin pages name a remote account. */
export const handleOf = (actor: Pick<ActorRow, "username" | "host">) =>
  `${actor.username}@${actor.host}`;

/**
 * Silencing and suspending remote accounts. The mark stays on the actor's row; a suspension
 * also forgets what we held from it (encounters, replies, likes, co-signatures, follows both
 * ways), and the policy (src/moderation/policy.ts) refuses its activities and documents from
 * then on. Lifting a suspension lets it in again: what was forgotten comes back only as it
 * is sent again.
 */
export function createRemoteAccountActions(deps: {
  db: Db;
  actors: Pick<ActorsRepository, "findByHandle" | "findByIri" | "emptyRemote">;
  auditLog: AuditLog;
  policy: Pick<ModerationPolicy, "invalidate">;
  now?: () => Date;
}): RemoteAccountActions {
  const { db, auditLog } = deps;
  const now = deps.now ?? (() => new Date());

  async function find(account: string): Promise<ActorRow> {
    const text = account.trim();
    let found: ActorRow | undefined;
    if (/^https?:\/\//i.test(text)) found = await deps.actors.findByIri(text);
    else {
      const handle = /^@?([^@\s]{1,100})@([^@\s/]{1,260})$/.exec(text);
      if (!handle) {
        throw new DomainError(
          "invalid",
          `"${text.slice(0, 80)}" is not an account: write user@host, @user@host or the account's URL.`,
          { field: "account" },
        );
      }
      found = await deps.actors.findByHandle(handle[1] as string, handle[2] as string);
    }
    if (!found || found.memberId) {
      throw new DomainError(
        "not_found",
        `No remote account "${text.slice(0, 80)}" is known here: it has never reached this instance.`,
        { field: "account" },
      );
    }
    return found;
  }

  async function statusOf(actor: ActorRow): Promise<RemoteModeration> {
    const handle = handleOf(actor);
    return {
      handle,
      iri: actor.iri,
      suspendedAt: actor.suspendedAt,
      silencedAt: actor.silencedAt,
      history: await auditLog.listFor("account", handle, 50),
    };
  }

  return {
    find,
    async act(account, kind, reason, moderator) {
      const actor = await find(account);
      const why = moderationReason(reason);
      const at = now();
      const set =
        kind === "silence"
          ? { silencedAt: at }
          : kind === "unsilence"
            ? { silencedAt: null }
            : kind === "suspend"
              ? { suspendedAt: at }
              : { suspendedAt: null };
      await db.transaction(async (tx) => {
        await tx.update(actors).set(set).where(eq(actors.id, actor.id));
        await auditLog.record(
          {
            moderator,
            action: `account.${kind}`,
            subjectKind: "account",
            subject: handleOf(actor),
            reason: why,
          },
          tx,
        );
      });
      deps.policy.invalidate();
      if (kind === "suspend") await deps.actors.emptyRemote(actor.iri);
      return statusOf(await find(actor.iri));
    },
    async status(account) {
      return statusOf(await find(account));
    },
  };
}
