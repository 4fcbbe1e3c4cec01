import { type ActorsRepository, createActorsRepository } from "./actors/actors-repository.ts";
import type { Db } from "./db/database.ts";
import {
  createEncountersRepository,
  type EncountersRepository,
} from "./encounters/encounters-repository.ts";
import {
  createRepliesRepository,
  type RepliesRepository,
} from "./encounters/replies-repository.ts";
import {
  createDirectMessagesRepository,
  type DirectMessagesRepository,
} from "./exposure/direct-messages-repository.ts";
import {
  createInstanceIncidenceStore,
  type InstanceIncidenceStore,
} from "./exposure/instance-incidence.ts";
import { createTrackerRepository, type TrackerRepository } from "./exposure/tracker-repository.ts";
import { createModerationPolicy, type ModerationPolicy } from "./moderation/policy.ts";
import { createWebSessions, type WebSessions } from "./web/session.ts";

/** The queries of each table, built once per instance. */
export interface Repositories {
  actors: ActorsRepository;
  encounters: EncountersRepository;
  replies: RepliesRepository;
  tracker: TrackerRepository;
  instanceIncidence: InstanceIncidenceStore;
  webSessions: WebSessions;
  directMessages: DirectMessagesRepository;
  /** What a remote host or actor may do: domain policies and account marks, cached. */
  moderationPolicy: ModerationPolicy;
}

export function buildRepositories(db: Db): Repositories {
  return {
    actors: createActorsRepository(db),
    encounters: createEncountersRepository(db),
    replies: createRepliesRepository(db),
    tracker: createTrackerRepository(db),
    instanceIncidence: createInstanceIncidenceStore(db),
    webSessions: createWebSessions(db),
    directMessages: createDirectMessagesRepository(db),
    moderationPolicy: createModerationPolicy({ db }),
  };
}
