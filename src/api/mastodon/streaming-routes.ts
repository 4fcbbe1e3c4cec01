import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { MastodonDeps } from "./deps.ts";
import { memberViewer } from "./http-support.ts";
import { notificationEntity } from "./notification.ts";
import { notificationSources } from "./notifications-routes.ts";
import { createPresenter, type Viewer } from "./presenter.ts";

const STREAMS = ["user", "user:notification"] as const;
type Stream = (typeof STREAMS)[number];
const isStream = (value: unknown): value is Stream => STREAMS.includes(value as Stream);

/** Browsers cannot set headers on a WebSocket: the token comes as `access_token` or a subprotocol. */
async function tokenFromQuery(request: FastifyRequest) {
  if (request.headers.authorization !== undefined) return;
  const token =
    (request.query as { access_token?: unknown } | undefined)?.access_token ??
    request.headers["sec-websocket-protocol"];
  if (typeof token === "string" && token.length > 0 && token.length <= 200) {
    request.headers.authorization = `Bearer ${token}`;
  }
}

/**
 * `GET /api/v1/streaming`, Mastodon's WebSocket: the streams `user` (new statuses of the home
 * timeline, and notifications) and `user:notification`. Each connection looks for what is new
 * every few seconds, from the same queries as the timeline and notification routes — so it
 * works whatever process wrote the change, and for what other servers sent.
 */
export async function registerStreamingRoutes(
  api: FastifyInstance,
  deps: MastodonDeps & { streamingIntervalMs?: number },
): Promise<void> {
  await api.register(websocket, { options: { maxPayload: 4096 } });
  const intervalMs = deps.streamingIntervalMs ?? 5000;
  // When each connection was asked for, before the upgrade answers.
  const askedAt = new WeakMap<FastifyRequest, Date>();
  const noteAskedAt = async (request: FastifyRequest) => {
    askedAt.set(request, new Date());
  };

  api.get("/api/v1/streaming/health", async (_request, reply: FastifyReply) =>
    reply.type("text/plain").send("OK"),
  );

  api.get(
    "/api/v1/streaming",
    {
      websocket: true,
      onRequest: [noteAskedAt, tokenFromQuery, deps.auth.hook],
      preHandler: deps.auth.requireScope("read:statuses"),
    },
    async (socket, request) => {
      const streams = new Set<Stream>();
      const asked = (request.query as { stream?: unknown } | undefined)?.stream;
      if (isStream(asked)) streams.add(asked);
      // Listened to at once: an app subscribes as soon as the socket opens.
      let timer: ReturnType<typeof setInterval> | undefined;
      let closed = false;
      socket.on("close", () => {
        closed = true;
        clearInterval(timer);
      });
      socket.on("message", (data: Buffer) => {
        let message: { type?: unknown; stream?: unknown };
        try {
          message = JSON.parse(data.toString("utf8"));
        } catch {
          return socket.send(
            JSON.stringify({ error: 'Send JSON: {"type":"subscribe","stream":"user"}.' }),
          );
        }
        if (!isStream(message.stream)) {
          return socket.send(
            JSON.stringify({
              error: `Unknown stream: the streams here are ${STREAMS.join(", ")}.`,
            }),
          );
        }
        if (message.type === "subscribe") streams.add(message.stream);
        else if (message.type === "unsubscribe") streams.delete(message.stream);
      });
      const viewer: NonNullable<Viewer> = await memberViewer(deps, request);

      // What was there before the app asked is not news; what came since is, even if it is
      // already there when these first looks run.
      const since = askedAt.get(request) ?? new Date();
      const seenNotifications = new Set(
        (await notificationSources(deps, viewer)).filter((s) => s.at < since).map((s) => s.id),
      );
      // Seen by id, not by date: a post from another server may arrive dated before now.
      const home = (limit: number) => deps.services.access.home(viewer.actor.id, { limit });
      const seenStatuses = new Set(
        (await home(40)).filter((view) => view.publishedAt < since).map((view) => view.id),
      );
      const send = (stream: Stream, event: string, payload: unknown) => {
        socket.send(JSON.stringify({ stream: [stream], event, payload: JSON.stringify(payload) }));
      };

      let running = false;
      const tick = async () => {
        if (running || streams.size === 0) return;
        running = true;
        try {
          const presenter = createPresenter(deps, viewer);
          if (streams.has("user")) {
            const fresh = (await home(20)).filter((view) => !seenStatuses.has(view.id));
            for (const view of fresh.reverse()) {
              seenStatuses.add(view.id);
              send("user", "update", await presenter.status(view));
            }
          }
          const sources = await notificationSources(deps, viewer);
          for (const source of sources.filter((s) => !seenNotifications.has(s.id)).reverse()) {
            seenNotifications.add(source.id);
            const entity = await notificationEntity(source, presenter);
            for (const stream of streams) send(stream, "notification", entity);
          }
        } catch (error) {
          request.log.warn({ err: error }, "a streaming look for news failed");
        } finally {
          running = false;
        }
      };
      // The connection may have closed while the first looks ran.
      if (closed) return;
      timer = setInterval(tick, intervalMs);
    },
  );
}
