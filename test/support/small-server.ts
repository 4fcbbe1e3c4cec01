import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { exportSpki } from "@fedify/vocab-runtime";
import { startHost, type TestHost } from "./hosts.ts";

type Json = Record<string, unknown>;

const FIXTURES = new URL("../fixtures/fediverse/", import.meta.url);

/**
 * A fixture with its hosts put on loopback: `small.example` becomes the small server's
 * origin, `socialdapres.example` ours (as in fixtures/fediverse/minimal/).
 */
export function fixture(path: string, hosts: { small: string; ours: string }): Json {
  const text = readFileSync(new URL(path, FIXTURES), "utf8")
    .replaceAll("https://small.example", hosts.small)
    .replaceAll("https://socialdapres.example", hosts.ours)
    .replaceAll("@socialdapres.example", `@${new URL(hosts.ours).host}`);
  return JSON.parse(text);
}

/**
 * A small fediverse server on loopback, like the independent one the issue was tried
 * against: one actor, `alice`, who sends JSON exactly as written (signed with her key,
 * draft-cavage), and whatever files a test puts at a path (photos, or hostile answers).
 */
export interface SmallServer {
  host: TestHost;
  origin: string;
  actorIri: string;
  /** Answers GET `path` with this handler (a file, a redirect, a slow or lying server). */
  serve(path: string, respond: (response: ServerResponse) => void): void;
  /** POSTs `body` as written to `inbox`, signed by alice. */
  post(inbox: string, body: Json): Promise<Response>;
  /** The GET requests received for `path`. */
  gets(path: string): number;
  close(): Promise<void>;
}

export async function startSmallServer(address = "127.0.0.1"): Promise<SmallServer> {
  const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const pem = await exportSpki(rsa.publicKey);
  const files = new Map<string, (response: ServerResponse) => void>();
  let origin = "";
  const host = await startHost(address, (request, response) => {
    const path = new URL(request.url ?? "/", origin).pathname;
    if (path === "/alice") {
      response.writeHead(200, { "content-type": "application/activity+json" }).end(
        JSON.stringify({
          "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
          type: "Person",
          id: `${origin}/alice`,
          preferredUsername: "alice",
          name: "Alice",
          inbox: `${origin}/alice/inbox`,
          publicKey: {
            id: `${origin}/alice#main-key`,
            owner: `${origin}/alice`,
            publicKeyPem: pem,
          },
        }),
      );
      return;
    }
    const serve = files.get(path);
    if (serve && request.method === "GET") return serve(response);
    response.writeHead(request.method === "POST" ? 202 : 404).end();
  });
  origin = host.origin;
  return {
    host,
    origin,
    actorIri: `${origin}/alice`,
    serve: (path, respond) => files.set(path, respond),
    async post(inbox, body) {
      const request = new Request(inbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(body),
      });
      return fetch(
        await signRequest(request, rsa.privateKey, new URL(`${origin}/alice#main-key`), {
          spec: "draft-cavage-http-signatures-12",
        }),
      );
    },
    gets: (path) => host.requests.filter((r) => r.method === "GET" && r.url === path).length,
    close: () => host.close(),
  };
}
