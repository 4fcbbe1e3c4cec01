import formbody from "@fastify/formbody";
import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  type OAuthApp,
  type OAuthService,
  OOB_REDIRECT_URI,
} from "../../accounts/oauth-service.ts";
import { parseScopes, SUPPORTED_SCOPES } from "../../accounts/scopes.ts";
import { type LocalUrls, OAUTH_PATHS } from "../../shared/local-urls.ts";
import type { BearerAuth } from "../auth.ts";
import { allowBrowserApps } from "../cors.ts";
import { multipartError } from "../encounter-body.ts";
import type { OAuthServer } from "./oauth-server.ts";

/*
 * The OAuth endpoints a Mastodon app calls: register (`POST /api/v1/apps`), check its
 * credentials, exchange a code or a refresh token (`POST /oauth/token`), revoke, and the
 * server metadata (RFC 8414). Bodies come as JSON or urlencoded forms.
 */

export interface OAuthRoutesDeps {
  oauth: OAuthService;
  server: OAuthServer;
  auth: BearerAuth;
  urls: LocalUrls;
}

const field = z.string().max(2048);

/** `redirect_uris` as Mastodon takes it: one string (several separated by blanks) or an array. */
const redirectUris = z
  .union([field, z.array(field).max(10)])
  .transform((value) => (Array.isArray(value) ? value : value.split(/\s+/)))
  .transform((uris) => uris.map((uri) => uri.trim()).filter((uri) => uri.length > 0));

const appBody = z.object({
  client_name: z.string().max(200, "client_name must be at most 200 characters"),
  redirect_uris: redirectUris.optional(),
  "redirect_uris[]": redirectUris.optional(),
  scopes: field.optional(),
  website: field.nullish(),
});

/** The token and revoke bodies: flat strings, as in a form. */
const flatBody = z
  .record(z.string().max(64), field)
  .refine((body) => Object.keys(body).length <= 20);

/** Mastodon's Application entity; `client_id` and `client_secret` only when registered. */
export function applicationJson(app: OAuthApp, clientSecret?: string) {
  return {
    id: app.id,
    name: app.name,
    website: app.website,
    scopes: parseScopes(app.scopes),
    redirect_uri: app.redirectUris.join("\n"),
    redirect_uris: app.redirectUris,
    // No Web Push on this server: an empty key, which clients read as "no push".
    vapid_key: "",
    ...(clientSecret === undefined
      ? {}
      : { client_id: app.clientId, client_secret: clientSecret, client_secret_expires_at: 0 }),
  };
}

const oauthError = (reply: FastifyReply, status: number, error: string, description: string) =>
  reply
    .status(status)
    .header("cache-control", "no-store")
    .send({ error, error_description: description });

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1) or the body. */
function clientCredentials(request: FastifyRequest, body: Record<string, string>) {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon)),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
      };
    }
  }
  return { clientId: body.client_id, clientSecret: body.client_secret };
}

export async function registerOAuthRoutes(
  scope: FastifyInstance,
  deps: OAuthRoutesDeps,
): Promise<void> {
  const { oauth, server, auth, urls } = deps;
  await scope.register(formbody, { bodyLimit: 16 * 1024 });
  // masto.js sends its token and revoke requests as multipart forms: fields only, small.
  await scope.register(multipart, {
    attachFieldsToBody: "keyValues",
    limits: { files: 0, fields: 20, fieldSize: 4096, parts: 20 },
  });
  // The multipart parser's terse errors, reworded; everything else keeps the one error shape.
  scope.setErrorHandler((error, request) => {
    if (request.headers["content-type"]?.startsWith("multipart/")) {
      throw multipartError(error, { one: "A file is", limit: "Send form fields only, no file." });
    }
    throw error;
  });
  scope.removeContentTypeParser("text/plain");
  // Browser apps register, exchange codes and revoke from their own origin; /api/v1/* preflights
  // are the Mastodon API's (src/api/mastodon/register.ts).
  allowBrowserApps(scope, [OAUTH_PATHS.token, OAUTH_PATHS.revoke]);
  scope.addHook("onSend", async (_request, reply) => {
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
  });

  scope.post(OAUTH_PATHS.apps, { bodyLimit: 16 * 1024 }, async (request, reply) => {
    const parsed = appBody.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.status(422).send({
        error: `Validation failed: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}. Send client_name, redirect_uris and, optionally, scopes and website.`,
      });
    }
    const body = parsed.data;
    const uris = body.redirect_uris ?? body["redirect_uris[]"] ?? [];
    const { app, clientSecret } = await oauth.registerApp({
      name: body.client_name,
      redirectUris: uris,
      scopes: parseScopes(body.scopes ?? "read"),
      website: body.website,
    });
    return reply.send(applicationJson(app, clientSecret));
  });

  scope.get(
    `${OAUTH_PATHS.apps}/verify_credentials`,
    { onRequest: auth.appHook },
    async (request, reply) => {
      const grant = auth.grantOf(request);
      const app = grant.appId ? await oauth.findAppById(grant.appId) : undefined;
      if (app) return reply.send(applicationJson(app));
      // A token made with the CLI has no app: describe it as one, so clients still work.
      return reply.send({
        id: "cli",
        name: "Socialdapres CLI",
        website: null,
        scopes: grant.scopes,
        redirect_uri: OOB_REDIRECT_URI,
        redirect_uris: [OOB_REDIRECT_URI],
        vapid_key: "",
      });
    },
  );

  scope.post(OAUTH_PATHS.token, { bodyLimit: 16 * 1024 }, async (request, reply) => {
    const parsed = flatBody.safeParse(request.body ?? {});
    if (!parsed.success) {
      return oauthError(
        reply,
        400,
        "invalid_request",
        "The body must be a form or a JSON object of strings: grant_type, client_id, client_secret, code, redirect_uri, code_verifier, refresh_token, scope.",
      );
    }
    const answer = await server.token({
      method: "POST",
      headers: request.headers,
      query: {},
      body: parsed.data,
    });
    return reply.status(answer.status).headers(answer.headers).send(answer.body);
  });

  scope.post(OAUTH_PATHS.revoke, { bodyLimit: 16 * 1024 }, async (request, reply) => {
    const parsed = flatBody.safeParse(request.body ?? {});
    if (!parsed.success) {
      return oauthError(reply, 400, "invalid_request", "Send client_id, client_secret and token.");
    }
    const { clientId, clientSecret } = clientCredentials(request, parsed.data);
    const token = parsed.data.token;
    if (!clientId || !clientSecret || !token) {
      return oauthError(reply, 400, "invalid_request", "Send client_id, client_secret and token.");
    }
    const app = await oauth.authenticateClient(clientId, clientSecret);
    if (!app) {
      return oauthError(reply, 401, "invalid_client", "The client id or secret is wrong.");
    }
    // RFC 7009: an unknown token is not an error; another app's token is left alone.
    await oauth.revokeToken(app.id, token);
    return reply.send({});
  });

  // RFC 8414 server metadata, with Mastodon's app registration endpoint.
  scope.get("/.well-known/oauth-authorization-server", async (_request, reply) => {
    const endpoint = (name: keyof typeof OAUTH_PATHS) => urls.oauth(name).href;
    return reply.header("cache-control", "public, max-age=3600").send({
      issuer: new URL("/", urls.origin).href,
      authorization_endpoint: endpoint("authorize"),
      token_endpoint: endpoint("token"),
      revocation_endpoint: endpoint("revoke"),
      app_registration_endpoint: endpoint("apps"),
      scopes_supported: SUPPORTED_SCOPES,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      code_challenge_methods_supported: ["S256"],
      service_documentation: new URL("/api/docs", urls.origin).href,
    });
  });
}
