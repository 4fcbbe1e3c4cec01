import { createHash, randomBytes } from "node:crypto";

/** A PKCE verifier and its S256 challenge. */
export function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

const hidden = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replaceAll("&amp;", "&");

/**
 * What a member's browser does on the consent page, over real HTTP: open the authorize URL,
 * log in through the form, then press "Authorize" (or "Deny"). Answers the final response
 * (the redirect to the app, or the page showing the code) and the pages seen on the way.
 */
export async function consentInBrowser(
  baseUrl: string,
  authorizeUrl: string,
  login: { username: string; password: string },
  action: "approve" | "deny" = "approve",
) {
  // The browser's cookies: the CSRF secret from the first page, then the session.
  const jar = new Map<string, string>();
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  };
  const first = await fetch(authorizeUrl, { redirect: "manual" });
  const csrfCookie = keep(first);
  const loginPage = await first.text();
  if (first.status !== 200 || !loginPage.includes('name="password"')) {
    throw new Error(`no login form (${first.status}): ${loginPage.slice(0, 300)}`);
  }
  const fields = new URLSearchParams();
  for (const match of loginPage.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(match[1] as string, (match[2] as string).replaceAll("&amp;", "&"));
  }
  fields.set("username", login.username);
  fields.set("password", login.password);
  const loggedIn = await fetch(`${baseUrl}/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie },
    body: fields,
    redirect: "manual",
  });
  const cookie = keep(loggedIn);
  const next = loggedIn.headers.get("location");
  if (loggedIn.status !== 303 || !jar.has("sdp_session") || !next) {
    throw new Error(`login failed (${loggedIn.status}): ${(await loggedIn.text()).slice(0, 300)}`);
  }
  const consent = await fetch(new URL(next, baseUrl), { headers: { cookie }, redirect: "manual" });
  const consentPage = await consent.text();
  const csrf = hidden(consentPage, "csrf");
  if (!csrf) throw new Error(`no consent form (${consent.status}): ${consentPage.slice(0, 300)}`);
  const form = new URLSearchParams();
  for (const match of consentPage.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g,
  )) {
    form.set(match[1] as string, (match[2] as string).replaceAll("&amp;", "&"));
  }
  form.set("action", action);
  const decided = await fetch(`${baseUrl}/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: form,
    redirect: "manual",
  });
  return { response: decided, consentPage, cookie };
}

/** The `code` (and `state`) a redirect to the app carries. */
export function codeOf(response: Response) {
  const location = response.headers.get("location");
  if (!location) throw new Error(`no redirect (${response.status})`);
  const url = new URL(location);
  return { url, code: url.searchParams.get("code"), state: url.searchParams.get("state") };
}

/**
 * The authorization step of an app using PKCE (S256), as Elk does: open `/oauth/authorize`
 * with a challenge, log in and approve over HTTP, and take the code from the redirect.
 * Answers the code and the verifier the app must send with it.
 */
export async function authorizeWithPkce(
  baseUrl: string,
  app: { clientId: string; redirectUri: string; scope: string },
  login: { username: string; password: string },
) {
  const { verifier, challenge } = pkcePair();
  const authorize = new URL("/oauth/authorize", baseUrl);
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: app.clientId,
    redirect_uri: app.redirectUri,
    scope: app.scope,
    state: "app-state",
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  const { response } = await consentInBrowser(baseUrl, authorize.href, login);
  const { code, state } = codeOf(response);
  if (!code || state !== "app-state") throw new Error(`no code or wrong state: ${state}`);
  return { code, verifier };
}
