import { z } from "zod";
import type { OAuthApp, OAuthService } from "../accounts/oauth-service.ts";
import { parseScopes } from "../accounts/scopes.ts";
import { grantableScopes } from "../api/oauth/oauth-server.ts";
import type { Language } from "./i18n.ts";

/* The words of the consent page and the check of an authorization request (RFC 6749 §4.1.1). */

export const W = {
  fr: {
    title: "Autoriser une application",
    loginTitle: "Se connecter pour autoriser {app}",
    asks: "{app} demande à utiliser ton compte {handle} :",
    website: "Site de l'application",
    approve: "Autoriser",
    deny: "Refuser",
    notYou: "Ce n'est pas toi ?",
    otherAccount: "Se connecter avec un autre compte",
    codeTitle: "Code d'autorisation",
    codeText: "Copie ce code dans {app} :",
    errorTitle: "Demande d'autorisation invalide",
    unknownApp:
      "Cette application n'est pas enregistrée sur cette instance (client_id inconnu) : ajoute l'instance à nouveau dans l'application.",
    badRedirect:
      "L'adresse de retour (redirect_uri) n'est pas l'une de celles que l'application a enregistrées.",
    missing: "La demande doit contenir client_id et redirect_uri.",
    deniedText: "Tu as refusé l'accès. Tu peux fermer cette page.",
    failed: "L'application a fait une demande invalide : {reason}",
    badForm: "Ce formulaire a expiré ou ne vient pas de cette instance : recharge la page.",
    scopes: {
      read: "lire tes données (rencontres, notifications, profil, abonnements)",
      write: "publier et modifier en ton nom (rencontres, réponses, photos, profil)",
      follow: "suivre et ne plus suivre des comptes",
      push: "recevoir des notifications poussées",
      profile: "connaître ton identité (nom, adresse)",
      admin: "modérer l'instance en ton nom (seulement si tu es admin)",
    },
  },
  en: {
    title: "Authorize an app",
    loginTitle: "Log in to authorize {app}",
    asks: "{app} asks to use your account {handle}:",
    website: "The app's website",
    approve: "Authorize",
    deny: "Deny",
    notYou: "Not you?",
    otherAccount: "Log in with another account",
    codeTitle: "Authorization code",
    codeText: "Copy this code into {app}:",
    errorTitle: "Invalid authorization request",
    unknownApp:
      "This app is not registered on this instance (unknown client_id): add the instance again in the app.",
    badRedirect: "The return address (redirect_uri) is not one the app registered.",
    missing: "The request must carry client_id and redirect_uri.",
    deniedText: "You denied access. You may close this page.",
    failed: "The app made an invalid request: {reason}",
    badForm: "This form has expired or does not come from this instance: reload the page.",
    scopes: {
      read: "read your data (encounters, notifications, profile, follows)",
      write: "post and edit on your behalf (encounters, replies, photos, profile)",
      follow: "follow and unfollow accounts",
      push: "receive push notifications",
      profile: "know who you are (name, address)",
      admin: "moderate the instance on your behalf (only if you are an admin)",
    },
  },
} as const;

const text = z.string().max(2000).optional();

/** The parameters of an authorization request, from the query (GET) or the form (POST). */
export const authorizeParams = z.object({
  response_type: text,
  client_id: z.string().max(200).optional(),
  redirect_uri: text,
  scope: text,
  state: text,
  code_challenge: text,
  code_challenge_method: text,
  force_login: text,
  lang: z.enum(["fr", "en"]).optional(),
});
export type AuthorizeParams = z.infer<typeof authorizeParams>;

export const postBody = authorizeParams.extend({
  action: z.enum(["login", "approve", "deny"]),
  username: z.string().trim().max(64).optional(),
  password: z.string().max(1024).optional(),
  csrf: z.string().max(100).optional(),
});

/** The parameters carried from page to page (never the password, never `force_login` once logged in). */
export const CARRIED = [
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
  "lang",
] as const;

const PKCE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

export type Checked =
  | { kind: "page"; status: number; message: string }
  | { kind: "redirect"; error: string; description: string }
  | { kind: "ok"; app: OAuthApp; scopes: string[] };

/**
 * Checks an authorization request before anything is shown or issued: the errors the page
 * answers itself (unknown app, unregistered redirect URI), those sent back to the app, or the
 * app and the scopes it gets.
 */
export async function checkAuthorizeRequest(
  findApp: OAuthService["findApp"],
  params: AuthorizeParams,
  lang: Language,
): Promise<Checked> {
  const w = W[lang];
  if (!params.client_id || !params.redirect_uri) {
    return { kind: "page", status: 400, message: w.missing };
  }
  const app = await findApp(params.client_id);
  if (!app) return { kind: "page", status: 400, message: w.unknownApp };
  if (!app.redirectUris.includes(params.redirect_uri)) {
    return { kind: "page", status: 400, message: w.badRedirect };
  }
  // From here on, errors go back to the app (RFC 6749 §4.1.2.1).
  if (params.response_type !== "code") {
    return {
      kind: "redirect",
      error: "unsupported_response_type",
      description: "response_type must be code.",
    };
  }
  const scopes = grantableScopes(app, params.scope ? parseScopes(params.scope) : undefined);
  if (!scopes) {
    return {
      kind: "redirect",
      error: "invalid_scope",
      description: `The requested scope is not within the app's registered scopes (${app.scopes}).`,
    };
  }
  if (params.code_challenge !== undefined || params.code_challenge_method !== undefined) {
    if ((params.code_challenge_method ?? "S256") !== "S256") {
      return {
        kind: "redirect",
        error: "invalid_request",
        description: "code_challenge_method must be S256 (plain is not accepted).",
      };
    }
    if (!PKCE_CHALLENGE.test(params.code_challenge ?? "")) {
      return {
        kind: "redirect",
        error: "invalid_request",
        description: "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.",
      };
    }
  }
  if (params.state !== undefined && !/^[\x20-\x7e]*$/.test(params.state)) {
    return {
      kind: "redirect",
      error: "invalid_request",
      description: "state must be printable ASCII.",
    };
  }
  return { kind: "ok", app, scopes };
}
