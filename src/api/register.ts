import type { FastifyInstance } from "fastify";
import type { EncounterView } from "../encounters/encounters-repository.ts";
import type { ReplyView } from "../encounters/replies-repository.ts";
import type { Services } from "../services.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import type { BearerAuth } from "./auth.ts";
import { registerAuthorizedAppsApi } from "./authorized-apps-routes.ts";
import { registerC2sInbox } from "./c2s-inbox.ts";
import { registerC2sOutbox } from "./c2s-outbox.ts";
import { registerApiDocs } from "./docs-routes.ts";
import { registerEncounterApi } from "./encounters-routes.ts";
import { registerProfileApi } from "./profile-routes.ts";
import { registerRepliesApi } from "./replies-routes.ts";
import { registerTrackerApi } from "./tracker-routes.ts";
import { registerTrackerSeriesApi } from "./tracker-series-routes.ts";
import { registerTrackerSettingsApi } from "./tracker-settings-routes.ts";

export interface ApiDeps {
  services: Services;
  /** Bearer tokens, with the failed-token limit (src/api/auth.ts). */
  auth: BearerAuth;
  urls: LocalUrls;
  version: string;
  /** The `Create(Note)` of a new encounter as the federation sends it (for the C2S answer). */
  renderCreate(view: EncounterView): Promise<{ id: string; json: unknown }>;
  /** The `Note` of a reply as the federation sends it (for the C2S answer). */
  renderReply(view: ReplyView): Promise<unknown>;
}

/** The own JSON API, its documentation and the C2S outbox POST: routes over the services. */
export function registerApi(http: FastifyInstance, deps: ApiDeps): void {
  const { services, auth, urls } = deps;

  http.register(registerEncounterApi, {
    auth,
    encounters: services.encounters,
    cosign: services.cosign,
    likes: services.likes,
    access: services.access,
    notifications: services.notifications,
    urls,
  });
  // The member's own profile (src/api/profile-routes.ts).
  http.register(registerProfileApi, { auth, profiles: services.profiles, urls });
  // The apps the member authorized through OAuth (src/api/authorized-apps-routes.ts).
  http.register(registerAuthorizedAppsApi, { auth, oauth: services.oauth });
  http.register(registerRepliesApi, { auth, replies: services.replies });
  http.register(registerC2sOutbox, {
    auth,
    urls,
    encounters: services.encounters,
    replies: services.replies,
    cosign: services.cosign,
    likes: services.likes,
    ownActivities: services.ownActivities,
    follows: services.follows,
    renderCreate: deps.renderCreate,
    renderReply: deps.renderReply,
  });
  // The member's received activities, for C2S clients (src/api/c2s-inbox.ts).
  http.register(registerC2sInbox, { auth, urls, received: services.receivedActivities });
  http.register(registerTrackerSettingsApi, {
    auth,
    settings: services.trackerSettings,
    weeklyQuestions: services.weeklyQuestions,
  });
  // The private tracker: the authenticated member's own data only (src/api/tracker-routes.ts).
  http.register(registerTrackerApi, {
    auth,
    privateFields: services.privateFields,
    trackerData: services.trackerData,
  });
  // The weekly series and last seen (src/api/tracker-series-routes.ts).
  http.register(registerTrackerSeriesApi, { auth, series: services.series });
  registerApiDocs(http, { origin: urls.origin.origin, version: deps.version });
}
