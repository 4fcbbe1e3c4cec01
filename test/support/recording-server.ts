import type { Federation } from "@fedify/fedify";
import { Activity } from "@fedify/vocab";
import Fastify, { type FastifyInstance } from "fastify";
import { registerFedifyBridge } from "../../src/http/fedify-bridge.ts";
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
}

export interface RecorderOptions {
  /** The loopback address it listens on; 127.0.0.1 by default. */
  address?: string;
  /** Where rita says her inbox (and shared inbox) is, when it is not on this server. */
  inbox?: string;
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
  const app = Fastify({ logger: false });
  app.addHook("preHandler", async (request) => {
    if (request.method !== "POST" || !Buffer.isBuffer(request.body)) return;
    const json = JSON.parse(request.body.toString("utf8")) as Json;
    if (typeof json.id === "string") bodies.set(json.id, json);
    posted.set(request, json);
  });
  app.addHook("onResponse", async (request, reply) => {
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
  return { app, federation, origin, actorIri: `${origin}/users/rita`, received, deliveries };
}
