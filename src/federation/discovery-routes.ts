import type { FastifyInstance } from "fastify";
import type { InstanceProfileService } from "../accounts/instance-profile-service.ts";
import type { MembersService } from "../accounts/members-service.ts";
import type { EncountersRepository } from "../encounters/encounters-repository.ts";
import { LISTED } from "../encounters/visibility.ts";
import { escapeHtml } from "../shared/html.ts";
import type { LocalUrls } from "../shared/local-urls.ts";

export interface DiscoveryDeps {
  members: MembersService;
  encounters: Pick<EncountersRepository, "countLocal">;
  urls: LocalUrls;
  version: string;
  /** The name, description and registration mode the admin set. */
  profile: Pick<InstanceProfileService, "get">;
}

const NODEINFO_SCHEMA = (version: "2.0" | "2.1") =>
  `http://nodeinfo.diaspora.software/ns/schema/${version}`;

/**
 * host-meta and NodeInfo. WebFinger itself is answered by Fedify from the
 * actor dispatcher; these documents are plain enough to serve directly.
 */
export function registerDiscoveryRoutes(app: FastifyInstance, deps: DiscoveryDeps): void {
  const { urls } = deps;

  app.get("/.well-known/host-meta", async (_request, reply) => {
    const template = `${urls.origin.origin}/.well-known/webfinger?resource={uri}`;
    return reply.type("application/xrd+xml; charset=utf-8").send(
      `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="${escapeHtml(template)}"/>
</XRD>
`,
    );
  });

  app.get("/.well-known/host-meta.json", async () => ({
    links: [
      { rel: "lrdd", template: `${urls.origin.origin}/.well-known/webfinger?resource={uri}` },
    ],
  }));

  app.get("/.well-known/nodeinfo", async () => ({
    links: (["2.0", "2.1"] as const).map((version) => ({
      rel: NODEINFO_SCHEMA(version),
      href: new URL(`/nodeinfo/${version}`, urls.origin).href,
    })),
  }));

  for (const version of ["2.0", "2.1"] as const) {
    app.get(`/nodeinfo/${version}`, async (_request, reply) => {
      // The encounters anyone may list (public ones), as Mastodon counts its statuses.
      const [users, localPosts, profile] = await Promise.all([
        deps.members.count(),
        deps.encounters.countLocal(LISTED),
        deps.profile.get(),
      ]);
      const software: Record<string, string> = { name: "socialdapres", version: deps.version };
      if (version === "2.1") software.homepage = urls.origin.href;
      return reply
        .type(`application/json; profile="${NODEINFO_SCHEMA(version)}#"`)
        .header("access-control-allow-origin", "*")
        .send({
          version,
          software,
          protocols: ["activitypub"],
          services: { inbound: [], outbound: [] },
          // Anyone may sign up, or ask to (Mastodon counts approval-required as open too).
          openRegistrations:
            profile.registrationMode === "open" || profile.registrationMode === "request",
          usage: { users: { total: users }, localPosts },
          metadata: { nodeName: profile.name, nodeDescription: profile.description },
        });
    });
  }
}
