import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import type { CosignService } from "../encounters/cosign-service.ts";
import type { EncounterAccess } from "../encounters/encounter-access.ts";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import type { RepliesRepository } from "../encounters/replies-repository.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { Outbox } from "../outbox/outbox.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import type { AuditLog } from "./audit-log.ts";
import { type BlocksService, createBlocksService } from "./blocks-service.ts";
import { createReportsService, type ReportsService } from "./reports-service.ts";

/** Blocks and mutes between people, and reports (src/moderation/); the instance's own moderation: moderation-services.ts. */
export interface ReportsAndBlocks {
  /** Blocks and mutes between people (src/moderation/blocks-service.ts). */
  blocks: BlocksService;
  /** Reports, from members and from other servers' Flags (src/moderation/reports-service.ts). */
  reports: ReportsService;
}

/** Called by `buildServices` (src/services.ts), the only place that wires services. */
export function buildReportsAndBlocks(deps: {
  db: Db;
  urls: LocalUrls;
  events: Pick<Outbox, "record" | "dispatch">;
  members: MembersService;
  actors: ActorsRepository;
  follows: FollowsService;
  access: EncounterAccess;
  cosign: CosignService;
  encounters: EncountersRepository;
  replies: RepliesRepository;
  /** Where resolving a report is recorded (src/moderation/audit-log.ts). */
  auditLog: Pick<AuditLog, "record">;
}): ReportsAndBlocks {
  const { db, urls, events, members } = deps;
  const newActivityIri = (kind: string) => urls.newActivity(kind).href;
  return {
    blocks: createBlocksService({
      ...{ db, members, events, newActivityIri },
      actors: deps.actors,
      follows: deps.follows,
      localHost: urls.origin.host,
    }),
    reports: createReportsService({
      ...{ db, members, events, newActivityIri },
      actors: deps.actors,
      access: deps.access,
      cosign: deps.cosign,
      encounters: deps.encounters,
      replies: deps.replies,
      isLocalIri: (iri) => URL.parse(iri)?.origin === urls.origin.origin,
      async localActorByIri(iri) {
        const username = urls.usernameOf(iri);
        const found = username ? await members.findWithActor(username) : undefined;
        return found?.actor.iri === iri ? found.actor : undefined;
      },
      auditLog: deps.auditLog,
    }),
  };
}
