import type { FastifyInstance } from "fastify";
import { LISTED } from "../../encounters/visibility.ts";
import type { MastodonDeps } from "./deps.ts";
import { type InstanceFacts, instanceV1, instanceV2 } from "./instance.ts";
import { createPresenter } from "./presenter.ts";

/** `GET /api/v1/instance` and `/api/v2/instance`: public, what an app reads first. */
export function registerInstanceRoutes(api: FastifyInstance, deps: MastodonDeps): void {
  const { services, urls } = deps;

  async function facts(): Promise<InstanceFacts> {
    const [users, statuses, first, profile] = await Promise.all([
      services.members.count(),
      deps.repositories.encounters.countLocal(LISTED),
      services.members.list(1),
      services.instanceProfile.get(),
    ]);
    const contactActor = first[0] && (await deps.repositories.actors.findByMemberId(first[0].id));
    return {
      origin: urls.origin,
      title: profile.name,
      description: profile.description,
      registrationMode: profile.registrationMode,
      version: deps.version,
      users,
      statuses,
      contact: contactActor ? await createPresenter(deps, null).account(contactActor) : null,
    };
  }

  api.get("/api/v1/instance", async () => instanceV1(await facts()));
  api.get("/api/v2/instance", async () => instanceV2(await facts()));
}
