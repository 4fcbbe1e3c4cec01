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
import type { Logger } from "../shared/logger.ts";
import { type BlocksService, createBlocksService } from "./blocks-service.ts";
import type { RecordModerationAction } from "./reports-input.ts";
import { createReportsService, type ReportsService } from "./reports-service.ts";

/** Blocks and mutes between people, and reports (src/moderation/). */
export interface ModerationServices {
  /** Blocks and mutes between people (src/moderation/blocks-service.ts). */
  blocks: BlocksService;
  /** Reports, from members and from other servers' Flags (src/moderation/reports-service.ts). */
  reports: ReportsService;
}

/** Called by `buildServices` (src/services.ts), the only place that wires services. */
export function buildModerationServices(deps: {
  db: Db;
  urls: LocalUrls;
  events: Pick<Outbox, "record" | "dispatch">;
  logger: Logger;
  members: MembersService;
  actors: ActorsRepository;
  follows: FollowsService;
  access: EncounterAccess;
  cosign: CosignService;
  encounters: EncountersRepository;
  replies: RepliesRepository;
  /** The audit log; by default each action is written to the log (`logModerationAction`). */
  recordModerationAction?: RecordModerationAction;
}): ModerationServices {
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
      recordModerationAction:
        deps.recordModerationAction ??
        logModerationAction(deps.logger.child({ component: "moderation" })),
    }),
  };
}

/**
 * Until the audit log (src/moderation/audit-log.ts) is merged: each moderation action is written
 * to the log — who, how, what, on which subject; the reason stays out (it may name people).
 */
export function logModerationAction(logger: Logger): RecordModerationAction {
  return async (entry) => {
    const { moderatorId, via, action, subjectKind, subject } = entry;
    logger.info({ moderatorId, via, action, subjectKind, subject }, "moderation action");
  };
}
