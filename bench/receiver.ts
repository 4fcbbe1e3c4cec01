import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";

export interface ReceiverStats {
  posts: number;
  /** Requests other than POST (none are expected: delivering fetches nothing). */
  others: number;
  /** POSTs per path, e.g. "/s/7/inbox" → 1. */
  byPath: Map<string, number>;
  bodyBytes: number[];
  /** The most POSTs it was answering at the same moment. */
  maxConcurrent: number;
  /** performance.now() of the first and last POST received. */
  firstAt: number | undefined;
  lastAt: number | undefined;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>` of each listening socket; the first one unless asked for more. */
  bases: string[];
  stats: ReceiverStats;
  close: () => Promise<void>;
}

/**
 * One loopback HTTP handler standing for many remote servers: each fake server
 * is a path prefix `/s/<n>/`. It answers 202 to every POST after reading the
 * body, and only counts: it does not verify signatures (the federation tests
 * do that) nor parse anything, so it answers as fast as a server can.
 * `listeners` > 1 serves the same handler on that many loopback ports, so that
 * fake servers can also differ by origin (Fedify orders deliveries per origin).
 */
export async function startReceiver(listeners = 1): Promise<Receiver> {
  const stats: ReceiverStats = {
    posts: 0,
    others: 0,
    byPath: new Map(),
    bodyBytes: [],
    maxConcurrent: 0,
    firstAt: undefined,
    lastAt: undefined,
  };
  let concurrent = 0;
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "POST") {
      stats.others++;
      response.writeHead(404).end();
      return;
    }
    concurrent++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, concurrent);
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
    });
    request.on("end", () => {
      const now = performance.now();
      stats.posts++;
      stats.firstAt ??= now;
      stats.lastAt = now;
      const path = new URL(request.url ?? "/", "http://receiver").pathname;
      stats.byPath.set(path, (stats.byPath.get(path) ?? 0) + 1);
      stats.bodyBytes.push(size);
      concurrent--;
      response.writeHead(202).end();
    });
  };
  const servers: Server[] = [];
  const close = () =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    ).then(() => {});
  const bases: string[] = [];
  try {
    for (let i = 0; i < listeners; i++) {
      const server = createServer(handle);
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("receiver has no port");
      bases.push(`http://127.0.0.1:${address.port}`);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { bases, stats, close };
}
