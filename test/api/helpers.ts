import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { InjectOptions } from "fastify";
import type { App } from "../../src/app.ts";

export const API = "/api/socialdapres/v1";
export const AP = "application/activity+json";
export const LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/** Members with a token each; passwords only have to be long enough. */
export async function membersWithTokens(
  app: App,
  usernames: string[],
): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const username of usernames) {
    await app.members.create({ username, password: `${username}-password-123` });
    tokens[username] = await app.members.createToken(username, "test");
  }
  return tokens;
}

/** `app.http.inject` with a bearer token. */
export function client(app: App, token: string) {
  return (options: InjectOptions) =>
    app.http.inject({
      ...options,
      headers: { authorization: `Bearer ${token}`, ...(options.headers as Record<string, string>) },
    });
}

/** Posts an encounter through the API; throws unless it was created. */
export async function postEncounter(
  send: ReturnType<typeof client>,
  payload: Record<string, unknown>,
): Promise<{ id: string; iri: string }> {
  const response = await send({ method: "POST", url: `${API}/encounters`, payload });
  if (response.statusCode !== 201) {
    throw new Error(`The encounter was not created: ${response.statusCode} ${response.body}`);
  }
  return response.json();
}

/** A multipart body as a browser or curl would send it. */
export async function multipart(
  form: FormData,
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const response = new Response(form);
  return {
    payload: Buffer.from(await response.arrayBuffer()),
    headers: { "content-type": response.headers.get("content-type") as string },
  };
}

/** Everything an encounter request could leave behind: rows, and photo files on disk. */
export async function stored(app: App) {
  const [row] = await app.database.rows<{ e: number; p: number; n: number; a: number }>(
    sql`select (select count(*)::int from encounters) as e,
               (select count(*)::int from encounter_participants) as p,
               (select count(*)::int from notifications) as n,
               (select count(*)::int from actors) as a`,
  );
  const photos = await readdir(join(app.config.dataDir, "media", "photos")).catch(() => []);
  return { ...row, files: photos.length };
}
