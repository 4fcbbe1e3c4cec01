import { join } from "node:path";
import {
  type AccountDeletionServices,
  buildAccountDeletion,
} from "./accounts/account-deletion-service.ts";
import { type AccountRecovery, createAccountRecovery } from "./accounts/account-recovery.ts";
import { buildCommunityServices, type CommunityServices } from "./accounts/community-services.ts";
import {
  buildMemberDataServices,
  type MemberDataServices,
} from "./accounts/member-data-services.ts";
import { createMembersService, type MembersService } from "./accounts/members-service.ts";
import { createOAuthService, type OAuthService } from "./accounts/oauth-service.ts";
import { createPasswordHashing, type PasswordHashing } from "./accounts/passwords.ts";
import { createProfileService, type ProfileService } from "./accounts/profile-service.ts";
import type { TellApplicant } from "./accounts/registrations-service.ts";
import { createStoredAttemptCounters } from "./db/attempt-counters.ts";
import type { Db } from "./db/database.ts";
import { createIdempotencyKeys, type IdempotencyKeys } from "./db/idempotency-keys.ts";
import { type CosignService, createCosignService } from "./encounters/cosign-service.ts";
import { createEncounterAccess, type EncounterAccess } from "./encounters/encounter-access.ts";
import {
  createEncountersService,
  type EncountersService,
} from "./encounters/encounters-service.ts";
import { createLikesService, type LikesService } from "./encounters/likes-service.ts";
import {
  createNotificationsService,
  type NotificationsService,
} from "./encounters/notifications-service.ts";
import { createOwnActivities, type OwnActivities } from "./encounters/own-activities.ts";
import type { ParticipantResolver } from "./encounters/participants.ts";
import {
  createReceivedActivities,
  type ReceivedActivities,
} from "./encounters/received-activities.ts";
import {
  createRemoteEncountersService,
  type RemoteEncountersService,
} from "./encounters/remote-encounters-service.ts";
import { createRemoteMentions } from "./encounters/remote-mentions.ts";
import { createRemotePhotos, type RemotePhotos } from "./encounters/remote-photos.ts";
import { createRepliesService, type RepliesService } from "./encounters/replies-service.ts";
import { createQueuedMessenger } from "./exposure/direct-messages.ts";
import { localDateOf } from "./exposure/model/weeks.ts";
import {
  createPrivateFieldsService,
  type PrivateFieldsService,
} from "./exposure/private-fields-service.ts";
import { createSeriesService, type SeriesService } from "./exposure/series-service.ts";
import {
  createTrackerDataService,
  type TrackerDataService,
} from "./exposure/tracker-data-service.ts";
import {
  createTrackerSettingsService,
  type TrackerSettingsService,
} from "./exposure/tracker-settings-service.ts";
import {
  createWeeklyQuestionService,
  type WeeklyQuestionService,
} from "./exposure/weekly-question-service.ts";
import type { ActorRefresher } from "./federation/actor-refresh.ts";
import { createActivityIri } from "./federation/encounter-delivery.ts";
import { createParticipantResolver } from "./federation/participant-resolver.ts";
import type { RemoteLookup } from "./federation/remote-lookup.ts";
import { createFollowsService, type FollowsService } from "./follows/follows-service.ts";
import type { Mailer } from "./mail/mailer.ts";
import { createMediaService, type MediaService } from "./media/media-service.ts";
import { createDiskMediaStorage, type MediaStorage } from "./media/media-storage.ts";
import { createRemoteMedia } from "./media/remote-media.ts";
import { createS3MediaStorage, type S3Settings } from "./media/s3-media-storage.ts";
import { createMediaUploadsService, type MediaUploadsService } from "./media/uploads-service.ts";
import { createAuditLog } from "./moderation/audit-log.ts";
import {
  buildModerationServices,
  type ModerationServices,
} from "./moderation/moderation-services.ts";
import { createNotifiedFilter } from "./moderation/notified.ts";
import { createRelations, type Relations } from "./moderation/relations.ts";
import { buildReportsAndBlocks, type ReportsAndBlocks } from "./moderation/reports-and-blocks.ts";
import type { Outbox } from "./outbox/outbox.ts";
import type { Repositories } from "./repositories.ts";
import type { AttemptCounters } from "./shared/failed-attempt-limiter.ts";
import { INSTANCE_ACTOR_IDENTIFIER, type LocalUrls } from "./shared/local-urls.ts";
import type { Logger } from "./shared/logger.ts";

export { buildRepositories, type Repositories } from "./repositories.ts";

/**
 * Every domain service of an instance; the HTTP routes and the federation receive them.
 * Running the community (profile, roles, sign-up): src/accounts/community-services.ts. A
 * member's password, its reset by e-mail and their address: src/accounts/account-recovery.ts.
 */
export interface Services
  extends AccountRecovery,
    CommunityServices,
    AccountDeletionServices,
    ModerationServices,
    ReportsAndBlocks,
    MemberDataServices {
  passwords: PasswordHashing;
  members: MembersService;
  /** The instance's e-mails; `enabled` false without SMTP_URL (src/mail/mailer.ts). */
  mailer: Mailer;
  /** The members' profiles: name, bio, fields, avatar and header (src/accounts/). */
  profiles: ProfileService;
  /** What a member received, for the C2S inbox (src/encounters/received-activities.ts). */
  receivedActivities: ReceivedActivities;
  /** OAuth apps, authorization codes and the tokens they lead to (src/accounts/oauth-service.ts). */
  oauth: OAuthService;
  follows: FollowsService;
  mediaStorage: MediaStorage;
  /** The counts of every rate limit, in the database: shared by the instance's processes. */
  attemptCounters: AttemptCounters;
  /** The first answers of members' posts by `Idempotency-Key` (src/db/idempotency-keys.ts). */
  idempotencyKeys: IdempotencyKeys;
  media: MediaService;
  /** Photos uploaded ahead of their post (the Mastodon API's media endpoints). */
  mediaUploads: MediaUploadsService;
  notifications: NotificationsService;
  access: EncounterAccess;
  cosign: CosignService;
  likes: LikesService;
  ownActivities: OwnActivities;
  encounters: EncountersService;
  remoteEncounters: RemoteEncountersService;
  /** Thumbnails of remote encounters' photos, fetched in the background; closed by the app. */
  remotePhotos: RemotePhotos;
  replies: RepliesService;
  /** Finds who a participant reference names (`@user@host`, `@user`, an actor URL). */
  participants: ParticipantResolver;
  trackerSettings: TrackerSettingsService;
  weeklyQuestions: WeeklyQuestionService;
  privateFields: PrivateFieldsService;
  trackerData: TrackerDataService;
  series: SeriesService;
  /** "May A and B interact": blocks and mutes, read by follows, naming, notifications. */
  relations: Relations;
}

export interface ServicesDeps {
  db: Db;
  /** The configuration's instance name: the profile's default until the admin sets one. */
  instanceName: string;
  /** Tells an applicant the decision on their application (no-op by default). */
  tellApplicant?: TellApplicant;
  /** Tests lower scrypt's cost for new password hashes (src/accounts/passwords.ts). */
  passwordCostN?: number;
  urls: LocalUrls;
  /** Domain events, recorded with the change they report (src/outbox/). */
  events: Outbox;
  logger: Logger;
  /** Photos live under `<dataDir>/media`, or on S3 when `s3` is given. */
  dataDir: string;
  s3?: S3Settings;
  repositories: Repositories;
  /** How participants and linked accounts on other servers are found (src/federation/). */
  remoteLookup: Pick<RemoteLookup, "lookupActor">;
  /** Known remote actors a day old are fetched again, in the background, when named. */
  actorRefresher?: Pick<ActorRefresher, "refreshIfStale">;
  /** Fetches of remote photos: the egress policy's fetch (src/egress/egress.ts). */
  remoteFetch: (url: string, init: RequestInit) => Promise<Response>;
  /** The User-Agent of those fetches. */
  userAgent: string;
  /** The instance's e-mails (src/mail/mailer.ts): SMTP, or `disabledMailer`. */
  mailer: Mailer;
}

/**
 * Every service, built once and in one place: this is the only file that knows how they
 * depend on each other. `buildApp` (src/app.ts) calls it between the federation's set-up
 * and the registration of what the federation serves and receives.
 */
export function buildServices(deps: ServicesDeps): Services {
  const { db, urls, events, logger, repositories } = deps;
  const { actors } = repositories;
  const repository = repositories.encounters;
  const newActivityIri = (kind: string) => urls.newActivity(kind).href;

  const passwords = createPasswordHashing({ costN: deps.passwordCostN });
  const members = createMembersService({ db, urls, passwords });
  const relations = createRelations(db);
  const follows = createFollowsService({
    relations,
    db,
    members,
    actors,
    events,
    newActivityIri,
    lookupActor: (iri) => deps.remoteLookup.lookupActor(iri),
    mustApprove: async (iri) => (await repositories.moderationPolicy.decide(iri)).limited,
  });
  const mediaStorage = deps.s3
    ? createS3MediaStorage(deps.s3)
    : createDiskMediaStorage(join(deps.dataDir, "media"));
  const media = createMediaService({
    storage: mediaStorage,
    urls: { mediaUrl: (key) => new URL(`/media/${key}`, urls.origin) },
  });
  const mediaUploads = createMediaUploadsService({ db, media });
  const profiles = createProfileService({ db, members, media, events, newActivityIri });
  const notifications = createNotificationsService({
    db,
    relations,
    members,
    repository,
    replies: repositories.replies,
  });
  const access = createEncounterAccess({ db, members, repository, actors });
  const cosign = createCosignService({
    db,
    members,
    notifications,
    repository,
    actors,
    events,
    newActivityIri,
  });
  const likes = createLikesService({
    db,
    members,
    repository,
    access,
    actors,
    cosign,
    events,
    newActivityIri,
  });
  const resolver = createParticipantResolver({
    lookup: deps.remoteLookup,
    refresher: deps.actorRefresher,
    urls,
    members,
    actors,
    logger: logger.child({ component: "participants" }),
  });
  const trackerSettings = createTrackerSettingsService({ db });
  const notified = createNotifiedFilter({ db, policy: repositories.moderationPolicy });
  const encounters = createEncountersService({
    db,
    members,
    notifications,
    repository,
    actors,
    resolver,
    relations,
    photos: media,
    events,
    urls,
    // An encounter logged without a date happened "today" where the member lives, not in UTC.
    async localToday(memberId, at) {
      const { timeZone } = await trackerSettings.read(memberId);
      return localDateOf(at, timeZone).toString();
    },
  });
  const remotePhotos = createRemotePhotos({
    db,
    repository,
    media: createRemoteMedia({
      fetch: deps.remoteFetch,
      storage: mediaStorage,
      urls: { mediaUrl: (key) => new URL(`/media/${key}`, urls.origin) },
      userAgent: deps.userAgent,
    }),
    logger: logger.child({ component: "remote-photos" }),
  });
  const replies = createRepliesService({
    db,
    members,
    access,
    encounters: repository,
    replies: repositories.replies,
    actors,
    resolver,
    notifications,
    notified,
    events,
    urls,
  });
  const remoteEncounters = createRemoteEncountersService({
    db,
    repository,
    actors,
    resolver,
    relations,
    cosign,
    notifications,
    notified,
    photos: remotePhotos,
    mentions: createRemoteMentions({
      db,
      actors,
      lookUp: (iri) => resolver.resolve(iri).catch(() => undefined),
      notifications,
      notified,
    }),
    replies,
  });
  const series = createSeriesService({
    repository: repositories.tracker,
    instanceIncidence: repositories.instanceIncidence,
  });
  const weeklyQuestions = createWeeklyQuestionService({
    db,
    // The instance actor's direct messages go through the outbox (src/exposure/direct-messages.ts).
    messenger: createQueuedMessenger({ db, events }),
    events,
    notifications,
    settings: trackerSettings,
    newNoteIri: (kind) => urls.newActivity(kind).href,
    async lookupAccount(query) {
      return actors.upsertRemote(await deps.remoteLookup.lookupActor(query));
    },
    isLocalIri: (iri) => URL.parse(iri)?.origin === urls.origin.origin,
    formUrl: new URL("/tracker", urls.origin).href,
    handleOf: (username) => `@${username}@${urls.origin.host}`,
    senderHandle: `@${INSTANCE_ACTOR_IDENTIFIER}@${urls.origin.host}`,
    senderUsername: INSTANCE_ACTOR_IDENTIFIER,
    directMessages: repositories.directMessages,
    async statusOf(memberId, weekStart) {
      // The last two weeks are enough: an answer is about this week or the one before.
      const { weeks } = await series.series(memberId, 2);
      return weeks.find((week) => week.weekStart === weekStart)?.status;
    },
    logger: logger.child({ component: "weekly-question" }),
  });

  const trackerData = createTrackerDataService({ db, members, repository, actors, events });
  const attemptCounters = createStoredAttemptCounters(db);
  const auditLog = createAuditLog(db);
  // Blocks, mutes and reports between people; resolving a report is a moderation action.
  const reportsAndBlocks = buildReportsAndBlocks({
    ...{ db, urls, events, members, actors, follows, access, cosign, auditLog },
    encounters: repository,
    replies: repositories.replies,
  });
  const memberData = buildMemberDataServices({
    blockedAccounts: (username) => reportsAndBlocks.blocks.blocked(username),
    ...{ db, dataDir: deps.dataDir, members, actors, follows, repository, trackerData },
    ...{ storage: mediaStorage, events, newActivityIri, logger },
    lookupAccount: (query) => deps.remoteLookup.lookupActor(query),
  });
  const deletion = buildAccountDeletion({
    ...{ db, events, urls, logger, members, encounters, replies, cosign, likes, follows },
    ...{ trackerData, media, accountExports: memberData.accountExports },
  });
  return {
    attemptCounters,
    idempotencyKeys: createIdempotencyKeys(db),
    relations,
    ...reportsAndBlocks,
    ...deletion,
    ...buildModerationServices({
      ...{ db, actors, members, mailer: deps.mailer, origin: urls.origin, auditLog },
      policy: repositories.moderationPolicy,
      accountDeletion: deletion.accountDeletion,
      endSessions: (memberId) => repositories.webSessions.revokeAllOf(memberId),
    }),
    ...memberData,
    passwords,
    mailer: deps.mailer,
    ...createAccountRecovery({
      db,
      urls,
      passwords,
      members,
      mailer: deps.mailer,
      attemptCounters,
      endSessions: (memberId, exceptId) => repositories.webSessions.revokeAllOf(memberId, exceptId),
    }),
    oauth: createOAuthService({ db }),
    receivedActivities: createReceivedActivities({
      db,
      // A local encounter's Create has a fixed id, `<note>/activity` (encounter-delivery.ts).
      localCreateId: (iri) =>
        urls.usernameOf(iri.replace(/\/encounters\/[^/]+$/, "")) !== undefined &&
        /\/encounters\/[^/]+$/.test(iri)
          ? createActivityIri({ iri }).href
          : null,
    }),
    members,
    profiles,
    ...buildCommunityServices({
      db,
      members,
      passwords,
      instanceName: deps.instanceName,
      tellApplicant: deps.tellApplicant,
      mailer: deps.mailer,
      origin: urls.origin,
      logger,
    }),
    follows,
    mediaStorage,
    media,
    mediaUploads,
    notifications,
    access,
    cosign,
    likes,
    ownActivities: createOwnActivities({ db, members, follows, cosign, likes }),
    encounters,
    remoteEncounters,
    remotePhotos,
    replies,
    participants: resolver,
    trackerSettings,
    weeklyQuestions,
    privateFields: createPrivateFieldsService({ db, members, repository, actors }),
    trackerData,
    series,
  };
}
