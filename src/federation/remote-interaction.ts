import { DomainError } from "../shared/errors.ts";
import { explainFetchFailure } from "./lookup-failures.ts";

/** The WebFinger link through which a server lets its users follow an account from elsewhere. */
export const SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe";

/**
 * Remote follow: a visitor of a profile here types their own address (`@me@their.server`);
 * their server's WebFinger names a page (Mastodon: `https://host/authorize_interaction?uri={uri}`)
 * where, logged in there, they follow the account whose URI fills the template.
 */
export interface RemoteInteraction {
  /**
   * Where to send the owner of `handle` to act on `uri` (an actor to follow) on their own
   * server. Throws a `RemoteInteractionError` (a DomainError: `invalid` for a malformed
   * address, `not_found` when their server cannot be reached, does not know them, or offers
   * no such page).
   */
  interactionUrl(handle: string, uri: string): Promise<string>;
  /**
   * The actor IRI WebFinger names for `handle` (its `self` link), asked over https, and over
   * plain http too in local trials; undefined when nothing answers.
   */
  actorIri(handle: string): Promise<string | undefined>;
}

/** Why a visitor cannot be sent to their server: each says what they can do. */
export type InteractionFailure = "malformed" | "unreachable" | "unknown_account" | "no_template";

export class RemoteInteractionError extends DomainError {
  readonly reason: InteractionFailure;
  /** The visitor's server, when the address named one. */
  readonly host: string | undefined;

  constructor(reason: InteractionFailure, message: string, host?: string) {
    super(reason === "malformed" ? "invalid" : "not_found", message);
    this.name = "RemoteInteractionError";
    this.reason = reason;
    this.host = host;
  }
}

const HANDLE = /^@?([^@\s/?#]{1,100})@([a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d{1,5})?)$/i;

export function createRemoteInteraction(deps: {
  /** The egress policy's fetch: never a private address in production. */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /**
   * Local multi-instance trials (FEDERATION_ALLOW_PRIVATE_ADDRESS): a server that does not
   * answer over https is asked over plain http, and may send visitors to an http page.
   */
  allowPlainHttp: boolean;
  userAgent: string;
}): RemoteInteraction {
  async function webFinger(user: string, host: string): Promise<Response> {
    const path = `/.well-known/webfinger?resource=${encodeURIComponent(`acct:${user}@${host}`)}`;
    const init: RequestInit = {
      headers: { accept: "application/jrd+json, application/json", "user-agent": deps.userAgent },
      redirect: "follow",
    };
    try {
      return await deps.fetch(`https://${host}${path}`, init);
    } catch (error) {
      if (!deps.allowPlainHttp) throw error;
      return deps.fetch(`http://${host}${path}`, init);
    }
  }

  return {
    async actorIri(handle) {
      const match = HANDLE.exec(handle.trim());
      if (!match) return undefined;
      const [, user, host] = match as unknown as [string, string, string];
      const response = await webFinger(user, host.toLowerCase()).catch(() => undefined);
      const document = response?.ok ? await response.json().catch(() => undefined) : undefined;
      const links = (document as { links?: unknown } | undefined)?.links;
      const self = Array.isArray(links)
        ? links.find(
            (link): link is { href: string } =>
              typeof link === "object" &&
              link !== null &&
              (link as { rel?: unknown }).rel === "self" &&
              typeof (link as { href?: unknown }).href === "string",
          )?.href
        : undefined;
      return self && URL.canParse(self) ? self : undefined;
    },
    async interactionUrl(handle, uri) {
      const match = HANDLE.exec(handle.trim());
      if (!match) {
        throw new RemoteInteractionError(
          "malformed",
          `"${handle}" is not a fediverse address: write it as @name@server.example.`,
        );
      }
      const [, user, rawHost] = match as unknown as [string, string, string];
      const host = rawHost.toLowerCase();
      let response: Response;
      try {
        response = await webFinger(user, host);
      } catch (error) {
        const why = explainFetchFailure(error, `https://${host}/`);
        throw new RemoteInteractionError(
          "unreachable",
          `Your server ${host} could not be reached: ${why?.explanation ?? "no answer"}.`,
          host,
        );
      }
      if (response.status === 404 || response.status === 410) {
        throw new RemoteInteractionError(
          "unknown_account",
          `${host} knows no account @${user}@${host}.`,
          host,
        );
      }
      const document = response.ok ? await response.json().catch(() => undefined) : undefined;
      const links = (document as { links?: unknown } | undefined)?.links;
      const template = Array.isArray(links)
        ? links.find(
            (link): link is { template: string } =>
              typeof link === "object" &&
              link !== null &&
              (link as { rel?: unknown }).rel === SUBSCRIBE_REL &&
              typeof (link as { template?: unknown }).template === "string",
          )?.template
        : undefined;
      const target = template?.includes("{uri}")
        ? URL.parse(template.replace("{uri}", encodeURIComponent(uri)))
        : null;
      const allowed = deps.allowPlainHttp ? ["https:", "http:"] : ["https:"];
      if (!target || !allowed.includes(target.protocol)) {
        throw new RemoteInteractionError(
          "no_template",
          `${host} offers no page to follow accounts of other servers: search for the address on your server instead.`,
          host,
        );
      }
      return target.href;
    },
  };
}
