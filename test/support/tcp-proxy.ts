import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on loopback in front of a server (PostgreSQL in the outage tests): `cut()` drops
 * every connection and refuses new ones, as a database that went away; `restore()` lets them in again.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let stalled = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((client) => {
        sockets.add(client);
        client.on("close", () => sockets.delete(client));
        client.on("error", () => client.destroy());
        // A black hole: the connection opens, nothing ever answers.
        if (stalled) return;
        const upstream = connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      next.once("error", reject);
      next.listen(port, "127.0.0.1", () => {
        const address = next.address();
        if (address && typeof address === "object") port = address.port;
        server = next;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    /** Drops the open connections and refuses new ones. */
    async cut() {
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    /** Drops the open connections; new ones open but get no answer, as a host that drops packets. */
    async stall() {
      stalled = true;
      for (const socket of sockets) socket.destroy();
    },
    /** Accepts and forwards connections again, on the same port. */
    async restore() {
      stalled = false;
      if (!server) await listen();
    },
    async close() {
      await this.cut();
    },
  };
}
