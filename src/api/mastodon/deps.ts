import type { RemoteLookup } from "../../federation/remote-lookup.ts";
import type { Repositories, Services } from "../../services.ts";
import type { LocalUrls } from "../../shared/local-urls.ts";
import type { BearerAuth } from "../auth.ts";

/** What the Mastodon API's routes receive from the composition root. */
export interface MastodonDeps {
  services: Services;
  repositories: Pick<Repositories, "encounters" | "replies" | "actors">;
  auth: BearerAuth;
  urls: LocalUrls;
  version: string;
  /** Finds an actor on its server (handle or URL): search with `resolve=true`. */
  lookupActor: RemoteLookup["lookupActor"];
}
