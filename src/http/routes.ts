import type { FastifyInstance } from "fastify";
import { createBearerAuth, createFailedAttemptLimiter } from "../api/auth.ts";
import { registerMastodonApi } from "../api/mastodon/register.ts";
import { registerOAuthRoutes } from "../api/oauth/oauth-routes.ts";
import { createOAuthServer } from "../api/oauth/oauth-server.ts";
import { registerApi } from "../api/register.ts";
import type { AppFederation } from "../federation/app-federation.ts";
import { registerDiscoveryRoutes } from "../federation/discovery-routes.ts";
import { createActivityIri, createActivityOf } from "../federation/encounter-delivery.ts";
import { registerEncounterRoutes } from "../federation/encounter-routes.ts";
import type { RemoteLookup } from "../federation/remote-lookup.ts";
import { replyNoteOf } from "../federation/reply-delivery.ts";
import { registerMediaRoutes } from "../media/media-routes.ts";
import type { Repositories, Services } from "../services.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { registerAdminMembersPage } from "../web/admin-members-page.ts";
import { registerAdminPages } from "../web/admin-pages.ts";
import { registerAdminRegistrationsPages } from "../web/admin-registrations-pages.ts";
import { registerAuthorizedAppsPage } from "../web/authorized-apps-page.ts";
import { registerDashboard } from "../web/dashboard-page.ts";
import type { HtmlErrorPages } from "../web/error-pages.ts";
import { registerJoinPages } from "../web/join-pages.ts";
import { registerLoginPages } from "../web/login-page.ts";
import { registerAuthorizePage } from "../web/oauth-authorize-page.ts";
import { registerPages } from "../web/pages.ts";
import { registerWeb } from "../web/register.ts";
import { createLoginThrottle, type LoginThrottleOptions } from "./login-throttle.ts";
import { createSignUpThrottle } from "./signup-throttle.ts";

/**
 * Every route over the services, registered by the composition root (src/app.ts) on the
 * server it made: discovery and media, the encounter permalinks, the own JSON API, OAuth and
 * its pages, the Mastodon client API, the public pages and the member's dashboard. Each
 * register* call is thin wiring; the behaviour lives in the module it names.
 */
export function registerRoutes(
  http: FastifyInstance,
  deps: {
    version: string;
    urls: LocalUrls;
    federation: AppFederation;
    services: Services;
    repositories: Repositories;
    remoteLookup: RemoteLookup;
    /** Error answers as pages for browsers, given the web kit here. */
    htmlErrors?: HtmlErrorPages;
    /** Tests shorten the log-in throttle's delays. */
    loginThrottle?: LoginThrottleOptions;
  },
): void {
  const { version, urls, federation, services, repositories, remoteLookup } = deps;
  const { members } = services;
  const { actors } = repositories;
  registerDiscoveryRoutes(http, {
    members,
    encounters: repositories.encounters,
    urls,
    version,
    profile: services.instanceProfile,
  });
  registerMediaRoutes(http, { storage: services.mediaStorage });
  registerEncounterRoutes(http, {
    encounters: repositories.encounters,
    replies: repositories.replies,
  });
  // One bearer auth (and one failed-token limit) for the own API, OAuth and the Mastodon API.
  const auth = createBearerAuth({ members, limiter: createFailedAttemptLimiter() });
  const loginThrottle = createLoginThrottle(deps.loginThrottle);
  // OAuth 2.0 for Mastodon apps and C2S clients (src/api/oauth/, src/web/oauth-authorize-page.ts).
  const oauthServer = createOAuthServer({ oauth: services.oauth });
  http.register(registerOAuthRoutes, { oauth: services.oauth, server: oauthServer, auth, urls });
  registerApi(http, {
    services,
    auth,
    urls,
    version,
    async renderCreate(view) {
      // The very Create the federation sends and serves, at its fixed, dereferenceable id.
      const create = await createActivityOf({ members, urls, replies: repositories.replies }, view);
      const { contextLoader } = federation.createContext(urls.origin, undefined);
      return {
        id: createActivityIri(view).href,
        json: await create.toJsonLd({ format: "compact", contextLoader }),
      };
    },
    async renderReply(view) {
      const note = await replyNoteOf({ actors, members, urls }, view);
      const { contextLoader } = federation.createContext(urls.origin, undefined);
      return note.toJsonLd({ format: "compact", contextLoader });
    },
  });
  // The Mastodon client API (src/api/mastodon/): the same services, Mastodon's shapes.
  registerMastodonApi(http, {
    services,
    repositories,
    auth,
    urls,
    version,
    lookupActor: (query) => remoteLookup.lookupActor(query),
  });
  // The pages, in their own scope with the web kit (src/web/register.ts).
  const sessions = repositories.webSessions;
  registerWeb(
    http,
    {
      profile: services.instanceProfile,
      origin: urls.origin,
      sessions,
      unreadCount: (memberId) => services.notifications.unreadCount(memberId),
      htmlErrors: deps.htmlErrors,
    },
    (scope, web) => {
      registerLoginPages(scope, { members, sessions, web, throttle: loginThrottle });
      registerAuthorizePage(scope, {
        oauth: services.oauth,
        server: oauthServer,
        sessions,
        members,
        throttle: loginThrottle,
        web,
      });
      registerAuthorizedAppsPage(scope, { oauth: services.oauth, web });
      registerJoinPages(scope, {
        web,
        registrations: services.registrations,
        invitations: services.invitations,
        profile: services.instanceProfile,
        sessions,
        throttle: createSignUpThrottle(),
      });
      // The admin pages (src/web/admin-*.ts): admins, and moderators for applications.
      registerAdminPages(scope, { web, profile: services.instanceProfile });
      registerAdminRegistrationsPages(scope, {
        web,
        registrations: services.registrations,
        invitations: services.invitations,
      });
      registerAdminMembersPage(scope, { web, roles: services.roles, urls });
      registerPages(scope, {
        members,
        profile: services.instanceProfile,
        follows: services.follows,
        actors,
        encounters: repositories.encounters,
        replies: services.replies,
        urls,
        web,
      });
      // The member's dashboard (src/web/dashboard-page.ts).
      registerDashboard(scope, {
        web,
        series: services.series,
        trackerData: services.trackerData,
        checkIn: (memberId, input, source) =>
          services.weeklyQuestions.checkIn(memberId, input, source),
        async linkedAccount(memberId) {
          const { linkedAccountIri, linkedAccountConfirmed } =
            await services.trackerSettings.get(memberId);
          return { iri: linkedAccountIri, confirmed: linkedAccountConfirmed };
        },
        senderHandle: `@instance@${urls.origin.host}`,
        askAgain: (memberId) => services.weeklyQuestions.askAgain(memberId),
      });
    },
  );
}
