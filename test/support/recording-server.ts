import type { Federation } from "@fedify/fedify";
import { Activity, Follow, isActor } from "@fedify/vocab";
import Fastify, { type FastifyInstance } from "fastify";
import type { App } from "../../src/app.ts";
import { registerFedifyBridge } from "../../src/http/fedify-bridge.ts";
import { eventually } from "./eventually.ts";
import { createTestFederation, TEST_INBOX_PATHS } from "./federation.ts";
import { freePort } from "./free-port.ts";

type Json = Record<string, unknown>;

export interface Received {
  type: string;
  /** null: delivered to the shared inbox. */
  recipient: string | null;
  id: string | undefined;
  actor: string | undefined;
  json: Json;
}

/**
 * A minimal fediverse server on loopback: one actor, `rita`, whose inbox
 * records every activity with the exact JSON sent. Fedify calls the listener
 * only once the HTTP signature is verified and its key belongs to the
 * activity's actor, so a recorded activity is a signed and verified one.
 */
export interface Recorder {
  app: FastifyInstance;
  federation: Federation<void>;
  origin: string;
  actorIri: string;
  received: Received[];
  /**
   * Every POST the inbox accepted (2xx), with the id and type of its body, duplicates
   * included: Fedify calls the listener once per activity id, so `received` hides a
   * second delivery of the same activity.
   */
  deliveries: Array<{ id: string | undefined; type: string }>;
  /**
   * Every POST, answered or not, in arrival order: its activity, the answer's status (or
   * "abandoned" when the sender gave up waiting), when, and which signature it carried.
   */
  posts: Post[];
  /** Cuts the connections of the POSTs left hanging by a "hang" fault. */
  releaseHanging(): void;
}

export interface Post {
  id: string | undefined;
  type: string;
  status: number | "abandoned" | "pending";
  at: number;
  /** draft-cavage (a `Signature` header) or rfc9421 (`Signature-Input`). */
  signature: "cavage" | "rfc9421" | "none";
}

/** What a misbehaving peer does with a POST instead of (or before) handling it. */
export type Fault =
  | { status: number; headers?: Record<string, string> }
  | { delayMs: number }
  | "hang";

export interface RecorderOptions {
  /** The loopback address it listens on; 127.0.0.1 by default. */
  address?: string;
  /** Where rita says her inbox (and shared inbox) is, when it is not on this server. */
  inbox?: string;
  /** Decides, POST by POST, how this peer misbehaves (nothing: it answers normally). */
  fault?: (post: { id: string | undefined; type: string }) => Fault | undefined;
}

export async function startRecorder(options: RecorderOptions = {}): Promise<Recorder> {
  const port = await freePort();
  const address = options.address ?? "127.0.0.1";
  const origin = `http://${address}:${port}`;
  const received: Received[] = [];
  const { federation, inbox } = await createTestFederation({
    username: "rita",
    inbox: options.inbox,
  });
  // Fedify hands listeners its own normalized JSON-LD; keep the bytes as sent, by activity id.
  const bodies = new Map<string, Json>();
  const posted = new WeakMap<object, Json>();
  const deliveries: Recorder["deliveries"] = [];
  const posts: Post[] = [];
  const postOf = new WeakMap<object, Post>();
  const hanging = new Set<import("node:net").Socket>();
  inbox.on(Activity, (ctx, activity) => {
    const json = bodies.get(activity.id?.href ?? "");
    if (!json) throw new Error(`no body recorded for ${activity.id?.href}`);
    received.push({
      type: String(json.type),
      recipient: ctx.recipient,
      id: activity.id?.href,
      actor: activity.actorId?.href,
      json,
    });
  });
  // A hanging POST must not keep close() waiting.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addHook("preHandler", async (request, reply) => {
    if (request.method !== "POST" || !Buffer.isBuffer(request.body)) return;
    const json = JSON.parse(request.body.toString("utf8")) as Json;
    if (typeof json.id === "string") bodies.set(json.id, json);
    posted.set(request, json);
    const post: Post = {
      id: typeof json.id === "string" ? json.id : undefined,
      type: String(json.type),
      status: "pending",
      at: Date.now(),
      signature: request.headers["signature-input"]
        ? "rfc9421"
        : request.headers.signature
          ? "cavage"
          : "none",
    };
    posts.push(post);
    postOf.set(request, post);
    const fault = options.fault?.({ id: post.id, type: post.type });
    if (fault === "hang") {
      const socket = request.raw.socket;
      hanging.add(socket);
      socket.once("close", () => {
        hanging.delete(socket);
        if (post.status === "pending") post.status = "abandoned";
      });
      return reply.hijack();
    }
    if (fault && "delayMs" in fault) {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    } else if (fault) {
      return reply
        .code(fault.status)
        .headers(fault.headers ?? {})
        .send("");
    }
  });
  app.addHook("onResponse", async (request, reply) => {
    const post = postOf.get(request);
    if (post) post.status = reply.statusCode;
    const json = posted.get(request);
    if (json && reply.statusCode < 300) {
      deliveries.push({
        id: typeof json.id === "string" ? json.id : undefined,
        type: String(json.type),
      });
    }
  });
  registerFedifyBridge(app, federation, {
    origin,
    contextData: () => undefined,
    inboxPaths: TEST_INBOX_PATHS,
  });
  await app.listen({ port, host: address });
  return {
    app,
    federation,
    origin,
    actorIri: `${origin}/users/rita`,
    received,
    deliveries,
    posts,
    releaseHanging() {
      for (const socket of hanging) socket.destroy();
    },
  };
}

/**
 * rita@R follows `username` of `app` with a real signed Follow, and waits until `app`
 * accepted it: R then receives what that member publishes.
 */
export async function recorderFollows(
  rec: Recorder,
  app: Pick<App, "urls" | "follows">,
  username: string,
): Promise<void> {
  const ctx = rec.federation.createContext(new URL(rec.origin), undefined);
  const target = await ctx.lookupObject(app.urls.actor(username).href);
  if (!isActor(target) || !target.id) throw new Error(`no actor ${username}`);
  await ctx.sendActivity(
    { identifier: "rita" },
    target,
    new Follow({
      id: new URL(`/follows/${username}`, rec.origin),
      actor: new URL(rec.actorIri),
      object: target.id,
    }),
  );
  await eventually(
    async () => (await app.follows.followState(rec.actorIri, username)) === "accepted",
    { what: `${username} to accept rita's follow` },
  );
}
