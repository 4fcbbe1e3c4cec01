import { randomUUID } from "node:crypto";
import { asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorRow, ActorsRepository, RemoteActorRecord } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import { actors, type ModerationVia, members, type ReportCategory, reports } from "../db/schema.ts";
import type { CosignService } from "../encounters/cosign-service.ts";
import type { EncounterAccess } from "../encounters/encounter-access.ts";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import type { RepliesRepository } from "../encounters/replies-repository.ts";
import type { Outbox } from "../outbox/outbox.ts";
import { DomainError } from "../shared/errors.ts";
import { isUuid } from "../shared/input.ts";
import { parseOrThrow } from "../shared/validation.ts";
import type { AuditLog } from "./audit-log.ts";
import {
  FLAG_OBJECTS_MAX,
  REPORT_COMMENT_MAX,
  type ReportInput,
  reportInputSchema,
  resolutionNoteSchema,
} from "./reports-input.ts";

export type ReportRow = typeof reports.$inferSelect;

/** A report with what a moderator reads: who, about whom, and the words reported. */
export interface ReportView extends ReportRow {
  reporter: ActorRow;
  target: ActorRow;
  encounter: { id: string; iri: string; text: string; isLocal: boolean } | null;
  reply: { id: string; iri: string; text: string } | null;
  /** The moderator who resolved it (their username), if any. */
  resolverUsername: string | null;
}

export type FlagOutcome =
  | { status: "filed" | "unchanged"; reportId: string }
  | { status: "ignored"; reason: string };

/**
 * Reports: a member reports an account, an encounter or a reply; a remote server's `Flag`
 * reports one of ours; the moderators read the queue and resolve. A report forwarded to a
 * remote account's server records `report.forwarded` (the outbox bridge sends a `Flag` from the
 * instance actor). Resolving is recorded with `recordModerationAction` (the audit log).
 */
export interface ReportsService {
  file(username: string, input: ReportInput): Promise<ReportView>;
  /** "I don't want to be in this": decline (or withdraw), hide from my lists, and report. */
  refuseNaming(username: string, encounterId: string): Promise<ReportView>;
  receiveFlag(input: {
    reporter: RemoteActorRecord;
    objectIris: readonly string[];
    content: string;
    activityIri: string;
  }): Promise<FlagOutcome>;
  /** Open reports first, then the newest; `all` includes the resolved ones. */
  list(options: { all?: boolean; limit: number; offset?: number }): Promise<ReportView[]>;
  get(id: string): Promise<ReportView>;
  resolve(
    id: string,
    by: { moderatorId: string | null; via: ModerationVia; note?: string },
  ): Promise<ReportView>;
}

export function createReportsService(deps: {
  db: Db;
  members: Pick<MembersService, "requireByUsername">;
  actors: Pick<ActorsRepository, "findById" | "upsertRemote">;
  encounters: Pick<EncountersRepository, "findById" | "findByIri">;
  replies: Pick<RepliesRepository, "findById" | "findByIri">;
  access: Pick<EncounterAccess, "visibleTo">;
  cosign: Pick<CosignService, "decline">;
  events: Pick<Outbox, "record" | "dispatch">;
  newActivityIri: (kind: string) => string;
  /** Whether an IRI is this instance's (an object a Flag may name). */
  isLocalIri: (iri: string) => boolean;
  /** A local member's actor IRI → its actor row (a Flag naming an account). */
  localActorByIri: (iri: string) => Promise<ActorRow | undefined>;
  /** Resolving a report is a moderation action (src/moderation/audit-log.ts). */
  auditLog: Pick<AuditLog, "record">;
}): ReportsService {
  const { db, events } = deps;

  async function views(rows: ReportRow[]): Promise<ReportView[]> {
    if (rows.length === 0) return [];
    const actorIds = [...new Set(rows.flatMap((r) => [r.reporterId, r.targetId]))];
    const people = new Map(
      (await db.select().from(actors).where(inArray(actors.id, actorIds))).map((a) => [a.id, a]),
    );
    const resolverIds = rows.flatMap((r) => (r.resolvedBy ? [r.resolvedBy] : []));
    const resolvers = new Map(
      resolverIds.length
        ? (
            await db
              .select({ id: members.id, username: members.username })
              .from(members)
              .where(inArray(members.id, resolverIds))
          ).map((m) => [m.id, m.username])
        : [],
    );
    const result: ReportView[] = [];
    for (const row of rows) {
      const reporter = people.get(row.reporterId);
      const target = people.get(row.targetId);
      if (!reporter || !target) continue;
      const encounter = row.encounterId ? await deps.encounters.findById(row.encounterId) : null;
      const reply = row.replyId ? await deps.replies.findById(row.replyId) : null;
      result.push({
        ...row,
        reporter,
        target,
        encounter: encounter
          ? {
              id: encounter.id,
              iri: encounter.iri,
              text: encounter.text,
              isLocal: encounter.isLocal,
            }
          : null,
        reply: reply ? { id: reply.id, iri: reply.iri, text: reply.text } : null,
        resolverUsername: row.resolvedBy ? (resolvers.get(row.resolvedBy) ?? null) : null,
      });
    }
    return result;
  }

  async function get(id: string): Promise<ReportView> {
    const rows = isUuid(id) ? await db.select().from(reports).where(eq(reports.id, id)) : [];
    const [view] = await views(rows);
    if (!view) throw new DomainError("not_found", `No report ${id}.`);
    return view;
  }

  /** What the member points at: the account, and the encounter or reply when there is one. */
  async function subjectOf(username: string, input: ReturnType<typeof parseInput>) {
    if (input.replyId) {
      const reply = await deps.replies.findById(input.replyId);
      if (!reply || reply.deletedAt) {
        throw new DomainError("not_found", `No reply ${input.replyId} that you can see.`);
      }
      // Its encounter must be one the member may read (404 otherwise).
      await deps.access.visibleTo(username, reply.encounterId);
      return { target: reply.author, encounterId: reply.encounterId, reply };
    }
    if (input.encounterId) {
      const encounter = await deps.access.visibleTo(username, input.encounterId);
      return { target: encounter.author, encounterId: encounter.id, encounter };
    }
    const target = input.accountId ? await deps.actors.findById(input.accountId) : undefined;
    if (!target) throw new DomainError("not_found", `No account ${input.accountId} known here.`);
    return { target };
  }

  const parseInput = (input: ReportInput) => parseOrThrow(reportInputSchema, input);

  async function file(username: string, raw: ReportInput): Promise<ReportView> {
    const input = parseInput(raw);
    const { actor } = await deps.members.requireByUsername(username);
    const subject = await subjectOf(username, input);
    if (subject.target.id === actor.id) {
      throw new DomainError("invalid", "You cannot report yourself.");
    }
    // Only another server's account is told: our own members are ours to handle.
    const forward = input.forward && !subject.target.memberId;
    const id = randomUUID();
    const activityIri = forward ? deps.newActivityIri("flag") : null;
    const recorded = await db.transaction(async (tx) => {
      await tx.insert(reports).values({
        id,
        reporterId: actor.id,
        targetId: subject.target.id,
        encounterId: subject.encounterId ?? null,
        replyId: subject.reply?.id ?? null,
        category: input.category,
        comment: input.comment,
        forwarded: forward,
        flagActivityIri: activityIri,
      });
      if (!activityIri) return undefined;
      // Only the target's own posts go with it: the rest is not their server's business.
      const posts = [subject.encounter, subject.reply].flatMap((p) =>
        p && !p.isLocal && p.author.id === subject.target.id ? [p.iri] : [],
      );
      return events.record(tx, {
        type: "report.forwarded",
        reportId: id,
        targetIri: subject.target.iri,
        objectIris: [subject.target.iri, ...posts],
        content: input.comment,
        activityIri,
      });
    });
    await events.dispatch(recorded);
    return get(id);
  }

  return {
    file,
    get,

    async refuseNaming(username, encounterId) {
      // Not named: a 404, before anything changes.
      const encounter = await deps.cosign.decline(username, encounterId, { hide: true });
      return file(username, {
        encounterId: encounter.id,
        category: "unwanted-naming" satisfies ReportCategory,
        comment: "",
      });
    },

    async receiveFlag({ reporter, objectIris, content, activityIri }) {
      const ours = objectIris.slice(0, FLAG_OBJECTS_MAX).filter(deps.isLocalIri);
      let target: ActorRow | undefined;
      let encounterId: string | null = null;
      let replyId: string | null = null;
      for (const iri of ours) {
        const encounter = await deps.encounters.findByIri(iri);
        const reply = encounter ? undefined : await deps.replies.findByIri(iri);
        const author = encounter?.isLocal
          ? encounter.author
          : reply?.isLocal
            ? reply.author
            : await deps.localActorByIri(iri);
        if (!author?.memberId) continue;
        // One report per Flag, about the first of our members it names.
        if (target && author.id !== target.id) continue;
        target ??= author;
        if (encounter?.isLocal) encounterId ??= encounter.id;
        if (reply?.isLocal) {
          replyId ??= reply.id;
          encounterId ??= reply.encounterId;
        }
      }
      if (!target) return { status: "ignored", reason: "the Flag names nothing of ours" };
      const [known] = await db
        .select({ id: reports.id })
        .from(reports)
        .where(eq(reports.flagActivityIri, activityIri));
      if (known) return { status: "unchanged", reportId: known.id };
      const reporterRow = await deps.actors.upsertRemote(reporter);
      const id = randomUUID();
      const inserted = await db
        .insert(reports)
        .values({
          id,
          reporterId: reporterRow.id,
          targetId: target.id,
          encounterId,
          replyId,
          category: "other",
          comment: content.slice(0, REPORT_COMMENT_MAX),
          forwarded: true,
          flagActivityIri: activityIri,
        })
        .onConflictDoNothing()
        .returning({ id: reports.id });
      return inserted.length
        ? { status: "filed", reportId: id }
        : { status: "ignored", reason: "a repeated Flag" };
    },

    async list({ all, limit, offset = 0 }) {
      const rows = await db
        .select()
        .from(reports)
        .where(all ? undefined : eq(reports.state, "open"))
        .orderBy(sql`${reports.state} = 'open' desc`, desc(reports.createdAt), asc(reports.id))
        .limit(limit)
        .offset(offset);
      return views(rows);
    },

    async resolve(id, by) {
      const note = parseOrThrow(resolutionNoteSchema, by.note) ?? "";
      const report = await get(id);
      if (report.state === "resolved") {
        throw new DomainError("conflict", `Report ${id} is already resolved.`);
      }
      await db.transaction(async (tx) => {
        await tx
          .update(reports)
          .set({
            state: "resolved",
            resolvedBy: by.moderatorId,
            resolvedAt: new Date(),
            resolutionNote: note || null,
          })
          .where(eq(reports.id, id));
        await deps.auditLog.record(
          {
            moderator: { memberId: by.moderatorId, via: by.via },
            action: "report.resolve",
            subjectKind: "report",
            subject: id,
            reason: note || null,
          },
          tx,
        );
      });
      return get(id);
    },
  };
}
