/**
 * The remote servers of bench/inbox.ts, in a process of their own (started with `fork`):
 * `origins` loopback origins, each serving Mastodon-shaped actors `/users/u<k>` (an RSA key,
 * a shared inbox), who send Mastodon-shaped `Create(Note)` bodies: a Linked Data signature
 * (RsaSignature2017) in the body and a draft-cavage HTTP signature, as Mastodon 4 sends a
 * public post. Every request is signed before the clock starts (`prepare`), so the sending
 * itself costs this process little; the receiver's time window accepts a Date this old.
 *
 * Messages (IPC): → { type: "prepare", inbox, mention, count, prefix } ← { type: "prepared" }
 *                 → { type: "send", concurrency }  ← { type: "sent", statuses, seconds, cpuSeconds }
 *                 ← { type: "ready", actors } once the origins listen.
 */
import type { webcrypto } from "node:crypto";
import { createServer, type Server } from "node:http";
import { performance } from "node:perf_hooks";
import { generateCryptoKeyPair, preloadedContexts, signJsonLd, signRequest } from "@fedify/fedify";
import { exportSpki } from "@fedify/vocab-runtime";
import { argument } from "./support.ts";

type Json = Record<string, unknown>;

interface RemoteActor {
  id: string;
  origin: string;
  username: string;
  keyId: string;
  privateKey: webcrypto.CryptoKey;
  document: Json;
}

interface Prepared {
  url: string;
  headers: [string, string][];
  body: string;
}

const AS = "https://www.w3.org/ns/activitystreams";
const PUBLIC = `${AS}#Public`;
/** Mastodon 4's context for a status, as it sends it. */
const MASTODON_STATUS_CONTEXT = [
  AS,
  {
    ostatus: "http://ostatus.org#",
    atomUri: "ostatus:atomUri",
    inReplyToAtomUri: "ostatus:inReplyToAtomUri",
    conversation: "ostatus:conversation",
    sensitive: "as:sensitive",
    toot: "http://joinmastodon.org/ns#",
    votersCount: "toot:votersCount",
    Hashtag: "as:Hashtag",
  },
];

// Signing runs offline: only the contexts Fedify ships are needed.
const contextLoader = async (url: string) => {
  const document = (preloadedContexts as Record<string, unknown>)[url];
  if (document === undefined) throw new Error(`not preloaded: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};

function actorDocument(id: string, origin: string, username: string, pem: string): Json {
  return {
    "@context": [AS, "https://w3id.org/security/v1"],
    id,
    type: "Person",
    following: `${id}/following`,
    followers: `${id}/followers`,
    inbox: `${id}/inbox`,
    outbox: `${id}/outbox`,
    preferredUsername: username,
    name: `Remote ${username}`,
    summary: "<p>A benchmark sender.</p>",
    url: `${origin}/@${username}`,
    manuallyApprovesFollowers: false,
    discoverable: true,
    published: "2026-01-01T00:00:00Z",
    publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: pem },
    endpoints: { sharedInbox: `${origin}/inbox` },
  };
}

function createNote(actor: RemoteActor, serial: number, mention: string): Json {
  const statusId = `${actor.id}/statuses/${1_000_000 + serial}`;
  const mentionHost = new URL(mention).host;
  const content = `<p>Crossed paths with <span class="h-card"><a href="${mention}" class="u-url mention">@<span>bea</span></a></span> at the market <a href="${actor.origin}/tags/socialdapres" class="mention hashtag" rel="tag">#<span>Socialdapres</span></a> <a href="${actor.origin}/tags/brightmirror" class="mention hashtag" rel="tag">#<span>BrightMirror</span></a> (${serial})</p>`;
  const published = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return {
    "@context": MASTODON_STATUS_CONTEXT,
    id: `${statusId}/activity`,
    type: "Create",
    actor: actor.id,
    published,
    to: [PUBLIC],
    cc: [`${actor.id}/followers`, mention],
    object: {
      id: statusId,
      type: "Note",
      summary: null,
      inReplyTo: null,
      published,
      url: `${actor.origin}/@${actor.username}/${1_000_000 + serial}`,
      attributedTo: actor.id,
      to: [PUBLIC],
      cc: [`${actor.id}/followers`, mention],
      sensitive: false,
      atomUri: statusId,
      inReplyToAtomUri: null,
      conversation: `tag:${actor.origin.slice(7)},2026-11-30:objectId=${serial}:objectType=Conversation`,
      content,
      contentMap: { en: content },
      attachment: [],
      tag: [
        { type: "Mention", href: mention, name: `@bea@${mentionHost}` },
        { type: "Hashtag", href: `${actor.origin}/tags/socialdapres`, name: "#socialdapres" },
        { type: "Hashtag", href: `${actor.origin}/tags/brightmirror`, name: "#brightmirror" },
      ],
      replies: {
        id: `${statusId}/replies`,
        type: "Collection",
        first: {
          type: "CollectionPage",
          next: `${statusId}/replies?only_other_accounts=true&page=true`,
          partOf: `${statusId}/replies`,
          items: [],
        },
      },
    },
  };
}

async function sign(actor: RemoteActor, inbox: string, activity: Json): Promise<Prepared> {
  const body = JSON.stringify(
    await signJsonLd(activity, actor.privateKey, new URL(actor.keyId), { contextLoader }),
  );
  const request = await signRequest(
    new Request(inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json", "user-agent": "Mastodon/4.3" },
      body,
    }),
    actor.privateKey,
    new URL(actor.keyId),
    { spec: "draft-cavage-http-signatures-12" },
  );
  return { url: inbox, headers: [...request.headers], body };
}

async function main() {
  const actorCount = Number(argument("actors", "50"));
  const originCount = Number(argument("origins", "5"));
  const actors = new Map<string, RemoteActor>();
  const servers: Server[] = [];
  for (let o = 0; o < originCount; o++) {
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", `http://${request.headers.host}`);
      const actor = actors.get(`${url.origin}${url.pathname}`);
      if (request.method === "GET" && actor) {
        response
          .writeHead(200, { "content-type": "application/activity+json" })
          .end(JSON.stringify(actor.document));
        return;
      }
      request.resume();
      response.writeHead(request.method === "POST" ? 202 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
  }
  const origins = servers.map((s) => {
    const address = s.address();
    if (typeof address !== "object" || !address) throw new Error("no address");
    return `http://127.0.0.1:${address.port}`;
  });
  const list: RemoteActor[] = [];
  for (let k = 0; k < actorCount; k++) {
    const origin = origins[k % origins.length] as string;
    const username = `u${k}`;
    const id = `${origin}/users/${username}`;
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const pem = await exportSpki(keys.publicKey);
    const actor: RemoteActor = {
      id,
      origin,
      username,
      keyId: `${id}#main-key`,
      privateKey: keys.privateKey,
      document: actorDocument(id, origin, username, pem),
    };
    actors.set(id, actor);
    list.push(actor);
  }
  let prepared: Prepared[] = [];
  let serial = 0;
  const send = process.send?.bind(process);
  if (!send) throw new Error("bench/inbox-sender.ts runs as a child of bench/inbox.ts");
  process.on("message", async (message: Json) => {
    if (message.type === "prepare") {
      prepared = [];
      for (let i = 0; i < (message.count as number); i++) {
        const actor = list[serial % list.length] as RemoteActor;
        const activity = createNote(actor, serial++, message.mention as string);
        prepared.push(await sign(actor, message.inbox as string, activity));
      }
      send({ type: "prepared" });
    } else if (message.type === "send") {
      const statuses: Record<string, number> = {};
      const cpuBefore = process.cpuUsage();
      const start = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < prepared.length) {
          const request = prepared[next++] as Prepared;
          let status: string;
          try {
            const response = await fetch(request.url, {
              method: "POST",
              headers: request.headers,
              body: request.body,
            });
            await response.arrayBuffer();
            status = String(response.status);
          } catch (error) {
            status = error instanceof Error ? error.name : "error";
          }
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      };
      await Promise.all(
        Array.from({ length: Math.max(1, message.concurrency as number) }, () => worker()),
      );
      const cpu = process.cpuUsage(cpuBefore);
      send({
        type: "sent",
        statuses,
        seconds: (performance.now() - start) / 1000,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      });
    } else if (message.type === "stop") {
      for (const server of servers) server.close();
      process.exit(0);
    }
  });
  send({ type: "ready", actors: list.map((a) => a.id) });
}

await main();
