import { join } from "node:path";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import type { TrackerDataService } from "../exposure/tracker-data-service.ts";
import {
  createFollowImportService,
  type FollowImportService,
} from "../follows/follow-import-service.ts";
import { createFollowMoves, type FollowMoves } from "../follows/follow-moves.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import type { MediaStorage } from "../media/media-storage.ts";
import type { Outbox } from "../outbox/outbox.ts";
import type { Logger } from "../shared/logger.ts";
import type { BlockedAccounts } from "./account-archive.ts";
import { type AccountExportService, createAccountExportService } from "./account-export-service.ts";
import {
  type AccountMoveService,
  createAccountMoveService,
  type LookedUpAccount,
} from "./account-move-service.ts";
import type { MembersService } from "./members-service.ts";

/** What a member owns of their account: their archive, their following list, their moves. */
export interface MemberDataServices {
  /** Archives built in the background, downloaded from /settings/export (and `user export`). */
  accountExports: AccountExportService;
  /** Following lists imported from Mastodon's CSV, followed by the worker. */
  followImports: FollowImportService;
  /** Aliases (move in) and moving out (src/accounts/account-move-service.ts). */
  accountMoves: AccountMoveService;
  /** Remote accounts that moved: our members' follows move with them. */
  followMoves: FollowMoves;
}

export function buildMemberDataServices(deps: {
  db: Db;
  dataDir: string;
  members: MembersService;
  actors: ActorsRepository;
  follows: FollowsService;
  repository: EncountersRepository;
  trackerData: TrackerDataService;
  storage: MediaStorage;
  events: Outbox;
  newActivityIri: (kind: string) => string;
  lookupAccount: (query: string) => Promise<LookedUpAccount>;
  /** The seam for blocks between people (none until that domain exists). */
  blockedAccounts: BlockedAccounts;
  logger: Logger;
}): MemberDataServices {
  const { db, members, actors, follows, events, logger } = deps;
  return {
    accountExports: createAccountExportService({
      db,
      members,
      repository: deps.repository,
      trackerData: deps.trackerData,
      storage: deps.storage,
      blockedAccounts: deps.blockedAccounts,
      directory: join(deps.dataDir, "exports"),
    }),
    followImports: createFollowImportService({
      db,
      members,
      follows,
      lookupActor: deps.lookupAccount,
      logger: logger.child({ component: "follow-import" }),
    }),
    accountMoves: createAccountMoveService({
      db,
      members,
      actors,
      lookupAccount: deps.lookupAccount,
      events,
      newActivityIri: deps.newActivityIri,
    }),
    followMoves: createFollowMoves({
      db,
      actors,
      follows,
      logger: logger.child({ component: "follow-moves" }),
    }),
  };
}
