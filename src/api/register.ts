import type { FastifyInstance } from "fastify";
import type { MembersService } from "../accounts/members-service.ts";
import type { ActorsRepository } from "../actors/actors-repository.ts";
import type { Db } from "../db/database.ts";
import type { CosignService } from "../encounters/cosign-service.ts";
import { createEncounterAccess } from "../encounters/encounter-access.ts";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import type { EncountersService } from "../encounters/encounters-service.ts";
import type { LikesService } from "../encounters/likes-service.ts";
import { createNotificationsService } from "../encounters/notifications-service.ts";
import { createOwnActivities } from "../encounters/own-activities.ts";
import type { PhotoStore } from "../encounters/participants.ts";
import { createInstanceIncidenceStore } from "../exposure/instance-incidence.ts";
import { createPrivateFieldsService } from "../exposure/private-fields-service.ts";
import { createSeriesService } from "../exposure/series-service.ts";
import { createTrackerDataService } from "../exposure/tracker-data-service.ts";
import { createTrackerRepository } from "../exposure/tracker-repository.ts";
import type { TrackerSettingsService } from "../exposure/tracker-settings-service.ts";
import type { WeeklyQuestionService } from "../exposure/weekly-question-service.ts";
import { createActivityIri, createActivityOf } from "../federation/encounter-delivery.ts";
import type { AppFederation } from "../federation/federation.ts";
import type { LocalUrls } from "../federation/local-urls.ts";
import type { RemoteLookup } from "../federation/remote-lookup.ts";
import type { FollowsService } from "../follows/follows-service.ts";
import { createBearerAuth, createFailedAttemptLimiter } from "./auth.ts";
import { registerC2sOutbox } from "./c2s-outbox.ts";
import { registerApiDocs } from "./docs-routes.ts";
import { registerEncounterApi } from "./encounters-routes.ts";
import { registerTrackerApi } from "./tracker-routes.ts";
import { registerTrackerSeriesApi } from "./tracker-series-routes.ts";
import { registerTrackerSettingsApi } from "./tracker-settings-routes.ts";

export interface ApiDeps {
  db: Db;
  members: MembersService;
  follows: FollowsService;
  actors: ActorsRepository;
  encounters: EncountersService;
  encounterRepository: EncountersRepository;
  cosign: CosignService;
  likes: LikesService;
  /** To remove the photos of private-only encounters when a member deletes their tracker. */
  photos: Pick<PhotoStore, "deletePhoto">;
  federation: AppFederation;
  remoteLookup: RemoteLookup;
  urls: LocalUrls;
  version: string;
  trackerSettings: TrackerSettingsService;
  weeklyQuestions: WeeklyQuestionService;
}

/**
 * The own JSON API, its documentation and the C2S outbox POST. Called once per app by the
 * composition root; the token-failure limiter lives as long as that app.
 */
export function registerApi(http: FastifyInstance, deps: ApiDeps): void {
  const { db, urls, federation } = deps;
  const auth = createBearerAuth({ members: deps.members, limiter: createFailedAttemptLimiter() });
  const repository = deps.encounterRepository;

  http.register(registerEncounterApi, {
    auth,
    encounters: deps.encounters,
    cosign: deps.cosign,
    likes: deps.likes,
    access: createEncounterAccess({ db, repository, actors: deps.actors }),
    notifications: createNotificationsService({ db, repository }),
    urls,
  });
  http.register(registerC2sOutbox, {
    auth,
    urls,
    encounters: deps.encounters,
    encounterRepository: repository,
    cosign: deps.cosign,
    likes: deps.likes,
    ownActivities: createOwnActivities({ db }),
    follows: deps.follows,
    actors: deps.actors,
    lookupActor: (iri) => deps.remoteLookup.lookupActor(iri),
    async renderCreate(view) {
      // The very Create the federation sends and serves, at its fixed, dereferenceable id.
      const create = await createActivityOf({ members: deps.members, urls }, view);
      const { contextLoader } = federation.createContext(urls.origin, undefined);
      return {
        id: createActivityIri(view).href,
        json: await create.toJsonLd({ format: "compact", contextLoader }),
      };
    },
  });
  http.register(registerTrackerSettingsApi, {
    auth,
    settings: deps.trackerSettings,
    weeklyQuestions: deps.weeklyQuestions,
  });
  // The private tracker: the authenticated member's own data only (src/api/tracker-routes.ts).
  http.register(registerTrackerApi, {
    auth,
    privateFields: createPrivateFieldsService({ db, repository, actors: deps.actors }),
    trackerData: createTrackerDataService({
      db,
      repository,
      actors: deps.actors,
      photos: deps.photos,
    }),
  });
  // The weekly series and last seen (src/api/tracker-series-routes.ts).
  http.register(registerTrackerSeriesApi, {
    auth,
    series: createSeriesService({
      repository: createTrackerRepository(db),
      instanceIncidence: createInstanceIncidenceStore(db),
    }),
  });
  registerApiDocs(http, { origin: urls.origin.origin, version: deps.version });
}
