import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AuthorizedApp, OAuthService } from "../accounts/oauth-service.ts";
import { DomainError } from "../shared/errors.ts";
import { type BearerAuth, privateApiScope } from "./auth.ts";
import { API_PREFIX } from "./encounters-routes.ts";
import { error, jsonContent, type Operation } from "./openapi-operation.ts";
import { idParam } from "./params.ts";

/*
 * The apps the authenticated member let act for them (through the OAuth consent page), and
 * how to withdraw one: every token and pending code of that app for this member goes.
 */

export interface AuthorizedAppsApiDeps {
  auth: BearerAuth;
  oauth: Pick<OAuthService, "authorizedApps" | "revokeAuthorization">;
}

export const authorizedAppJsonSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  website: z.string().nullable(),
  scopes: z.array(z.string()),
  authorizedAt: z.string().datetime(),
  lastUsedAt: z.string().datetime().nullable(),
});

export function authorizedAppToJson(entry: AuthorizedApp): z.infer<typeof authorizedAppJsonSchema> {
  return {
    id: entry.app.id,
    name: entry.app.name,
    website: entry.app.website,
    scopes: entry.scopes,
    authorizedAt: entry.authorizedAt.toISOString(),
    lastUsedAt: entry.lastUsedAt?.toISOString() ?? null,
  };
}

export async function registerAuthorizedAppsApi(app: FastifyInstance, deps: AuthorizedAppsApiDeps) {
  const { auth, oauth } = deps;
  await app.register(
    async (api) => {
      privateApiScope(api, auth);
      api.get("/authorized_apps", async (request) =>
        (await oauth.authorizedApps(auth.memberOf(request).id)).map(authorizedAppToJson),
      );
      api.delete("/authorized_apps/:id", async (request, reply) => {
        const id = idParam(request, "app");
        if (!(await oauth.revokeAuthorization(auth.memberOf(request).id, id))) {
          throw new DomainError("not_found", "You have not authorized this app (or no longer).");
        }
        return reply.status(204).send();
      });
    },
    { prefix: API_PREFIX },
  );
}

/** Their entries in the OpenAPI document (src/api/openapi.ts). */
export const AUTHORIZED_APPS_OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/authorized_apps",
    summary:
      "The apps you authorized through the OAuth consent page (Mastodon apps, C2S clients), with the scopes you granted",
    responses: {
      200: {
        description: "The apps, most recent first",
        content: jsonContent("AuthorizedAppList"),
      },
    },
  },
  {
    method: "delete",
    path: "/authorized_apps/{id}",
    summary: "Withdraw an app: every token it holds for you stops working at once",
    responses: {
      204: { description: "Withdrawn" },
      404: error("No app of yours with this id"),
    },
  },
];

export const AUTHORIZED_APPS_SCHEMAS = (
  schemaOf: (schema: z.ZodType, io: "output") => unknown,
) => ({
  AuthorizedAppList: schemaOf(z.array(authorizedAppJsonSchema), "output"),
});
