import type { FastifyInstance } from "fastify";
import { createBearerAuth } from "../api/auth.ts";
import { registerMastodonApi } from "../api/mastodon/register.ts";
import { registerOAuthRoutes } from "../api/oauth/oauth-routes.ts";
import { createOAuthServer } from "../api/oauth/oauth-server.ts";
import { registerApi } from "../api/register.ts";
import { createAccountFinder } from "../federation/account-search.ts";
import type { AppFederation } from "../federation/app-federation.ts";
import { registerDiscoveryRoutes } from "../federation/discovery-routes.ts";
import { createActivityIri, createActivityOf } from "../federation/encounter-delivery.ts";
import { registerEncounterRoutes } from "../federation/encounter-routes.ts";
import type { RemoteLookup } from "../federation/remote-lookup.ts";
import { replyNoteOf } from "../federation/reply-delivery.ts";
import { registerMediaRoutes } from "../media/media-routes.ts";
import type { Repositories, Services } from "../services.ts";
import { createFailedAttemptLimiter } from "../shared/failed-attempt-limiter.ts";
import type { LocalUrls } from "../shared/local-urls.ts";
import { registerAccountDeletePage } from "../web/account-delete-page.ts";
import { registerAdminAccountPage } from "../web/admin-account-page.ts";
import { registerAdminAuditPage } from "../web/admin-audit-page.ts";
import { registerAdminDomainsPage } from "../web/admin-domains-page.ts";
import { registerAdminMembersPage } from "../web/admin-members-page.ts";
import { registerAdminPages } from "../web/admin-pages.ts";
import { registerAdminRegistrationsPages } from "../web/admin-registrations-pages.ts";
import { registerAdminReportsPages } from "../web/admin-reports-pages.ts";
import { registerAuthorizedAppsPage } from "../web/authorized-apps-page.ts";
import { registerBlocksPages } from "../web/blocks-pages.ts";
import { registerComposePages } from "../web/compose-page.ts";
import { registerDashboard } from "../web/dashboard-page.ts";
import { registerEmailPage } from "../web/email-page.ts";
import { registerEncounterActions } from "../web/encounter-actions.ts";
import type { HtmlErrorPages } from "../web/error-pages.ts";
import { registerFollowPages } from "../web/follow-pages.ts";
import { registerHomePages } from "../web/home-page.ts";
import { registerJoinPages } from "../web/join-pages.ts";
import { registerLoginPages } from "../web/login-page.ts";
import { registerNotificationsPage } from "../web/notifications-page.ts";
import { registerAuthorizePage } from "../web/oauth-authorize-page.ts";
import { registerPages } from "../web/pages.ts";
import { registerPasswordPages } from "../web/password-pages.ts";
import { registerPasswordSettingsPage } from "../web/password-settings-page.ts";
import { registerWeb } from "../web/register.ts";
import { registerRemoteFollow } from "../web/remote-follow.ts";
import { registerReplyPage } from "../web/reply-page.ts";
import { registerReportPages } from "../web/report-pages.ts";
import { registerSessionsPage } from "../web/sessions-page.ts";
import { registerExportPage } from "../web/settings-export-page.ts";
import { registerImportPage } from "../web/settings-import-page.ts";
import { registerMovePage } from "../web/settings-move-page.ts";
import { registerSettingsPages } from "../web/settings-pages.ts";
import { registerProfileSettingsPage } from "../web/settings-profile-page.ts";
import { registerTrackerSettingsPage } from "../web/settings-tracker-page.ts";
import type { DocumentCache } from "./document-cache.ts";
import { createLoginThrottle, type LoginThrottleOptions } from "./login-throttle.ts";
import { createSignUpThrottle } from "./signup-throttle.ts";

/**
 * The public pages kept for visitors (src/http/page-cache.ts): home, profiles, permalinks, an
 * encounter known here, tags. Everything they read raises the document generation (migrations
 * `document_generation_triggers`, `page_generation_triggers`); test/http/page-cache.test.ts.
 */
const VISITOR_PAGES = ["/", "/@:username", "/@:username/:id", "/encounters/:id", "/tags/:keyword"];

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
    /** Where browsers read the media on S3 (S3_PUBLIC_URL): `/media/<key>` redirects there. */
    mediaPublicUrl?: string;
    /** Where the visitor pages are kept (src/http/page-cache.ts), beside the documents. */
    documentCache?: DocumentCache;
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
  registerMediaRoutes(http, { storage: services.mediaStorage, publicUrl: deps.mediaPublicUrl });
  registerEncounterRoutes(http, {
    encounters: repositories.encounters,
    replies: repositories.replies,
  });
  // One bearer auth (and one failed-token limit) for the own API, OAuth and the Mastodon API.
  const counters = services.attemptCounters;
  const auth = createBearerAuth({
    members,
    limiter: createFailedAttemptLimiter({ counters, scope: "bearer" }),
  });
  const loginThrottle = createLoginThrottle(counters, deps.loginThrottle);
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
  // The sender of the weekly question's direct messages, which the pages name.
  const senderHandle = `@instance@${urls.origin.host}`;
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
      ...(deps.documentCache
        ? { visitorPages: { cache: deps.documentCache, routes: VISITOR_PAGES } }
        : {}),
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
        throttle: createSignUpThrottle(counters),
      });
      // The admin pages (src/web/admin-*.ts): admins, and moderators for applications.
      registerAdminPages(scope, { web, profile: services.instanceProfile });
      registerAdminRegistrationsPages(scope, {
        web,
        registrations: services.registrations,
        invitations: services.invitations,
      });
      registerAdminMembersPage(scope, { web, roles: services.roles, urls });
      registerAdminReportsPages(scope, {
        web,
        reports: services.reports,
        localHost: urls.origin.host,
      });
      // Moderation (src/moderation/): the audit log, domains, one account's actions.
      registerAdminAuditPage(scope, { web, auditLog: services.auditLog });
      registerAdminDomainsPage(scope, { web, domainPolicies: services.domainPolicies });
      registerAdminAccountPage(scope, {
        web,
        memberActions: services.memberActions,
        remoteAccounts: services.remoteAccounts,
      });
      // Passwords (forgotten, changed), sessions and the e-mail address (src/web/).
      const { mailer } = services;
      registerPasswordPages(scope, {
        passwordResets: services.passwordResets,
        mailer,
        sessions,
        web,
        attemptCounters: counters,
      });
      const passwordCheck = { members, throttle: loginThrottle, web };
      registerPasswordSettingsPage(scope, {
        ...passwordCheck,
        memberPasswords: services.memberPasswords,
        sessions,
      });
      registerSessionsPage(scope, { sessions, web });
      registerAccountDeletePage(scope, {
        ...passwordCheck,
        accountDeletion: services.accountDeletion,
      });
      registerEmailPage(scope, { ...passwordCheck, emails: services.emails, mailer });
      registerExportPage(scope, { web, accountExports: services.accountExports });
      registerImportPage(scope, { web, followImports: services.followImports });
      registerMovePage(scope, { web, accountMoves: services.accountMoves, urls });
      const pages = {
        members,
        profile: services.instanceProfile,
        follows: services.follows,
        actors,
        encounters: repositories.encounters,
        replies: services.replies,
        access: services.access,
        likes: services.likes,
        cosign: services.cosign,
        notifications: services.notifications,
        remote: remoteLookup,
        relations: services.relations,
        moderation: services.memberActions,
        findAccount: createAccountFinder({
          members,
          actors,
          urls,
          lookupActor: (query) => remoteLookup.lookupActor(query),
        }),
        urls,
        web,
      };
      registerPages(scope, pages);
      // The logged-in member's reading pages and what they do from them.
      registerHomePages(scope, pages);
      registerEncounterActions(scope, pages);
      registerNotificationsPage(scope, pages);
      registerFollowPages(scope, pages);
      registerRemoteFollow(scope, pages);
      // Reports, "I don't want to be in this", blocks and mutes (src/web/report-pages.ts, blocks-pages.ts).
      registerReportPages(scope, {
        ...{ web, reports: services.reports, actors },
        ...{ encounters: repositories.encounters, replies: repositories.replies },
      });
      registerBlocksPages(scope, {
        web,
        blocks: services.blocks,
        members,
        participants: services.participants,
      });
      // Posting from the pages: compose, edit, delete, reply (src/web/compose-page.ts).
      registerComposePages(scope, { ...services, web });
      registerReplyPage(scope, {
        web,
        encounters: repositories.encounters,
        replies: services.replies,
        urls,
      });
      // The member's dashboard (src/web/dashboard-page.ts).
      registerDashboard(scope, {
        web,
        series: services.series,
        trackerData: services.trackerData,
        checkIn: (memberId, input, source) =>
          services.weeklyQuestions.checkIn(memberId, input, source),
        openCheckin: (memberId) => services.weeklyQuestions.openCheckin(memberId),
        async linkedAccount(memberId) {
          const { linkedAccountIri, linkedAccountConfirmed } =
            await services.trackerSettings.get(memberId);
          return { iri: linkedAccountIri, confirmed: linkedAccountConfirmed };
        },
        senderHandle,
        askAgain: (memberId) => services.weeklyQuestions.askAgain(memberId),
      });
      // The member's settings (src/web/settings-*.ts): the same services as the JSON API.
      registerSettingsPages(scope, {
        web,
        members,
        trackerSettings: services.trackerSettings,
        weeklyQuestions: services.weeklyQuestions,
        senderHandle,
      });
      registerTrackerSettingsPage(scope, {
        web,
        settings: services.trackerSettings,
        notifications: services.notifications,
        instanceIncidence: repositories.instanceIncidence,
      });
      registerProfileSettingsPage(scope, { web, profiles: services.profiles });
    },
  );
}
