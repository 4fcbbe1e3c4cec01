import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isPublicAddress } from "../../src/egress/egress.ts";

/**
 * Loopback hosts that stand for the internet in egress tests: 127.0.0.2 plays a public
 * server (its policy says so), 127.0.0.1 the operator's private network.
 */
export const PUBLIC_STAND_IN = "127.0.0.2";

/** The real policy, except that the stand-in for a public server counts as public. */
export const standInPolicy = (address: string) =>
  address === PUBLIC_STAND_IN || isPublicAddress(address);

export interface TestHost {
  origin: string;
  port: number;
  /** Every request received, in order. */
  requests: Array<{ method: string; url: string; body: string }>;
  close(): Promise<void>;
}

/** A plain HTTP server on `address` that records requests and answers with `respond`. */
export async function startHost(
  address: string,
  respond: (request: IncomingMessage, response: ServerResponse, body: string) => void = (
    _request,
    response,
  ) => {
    response.writeHead(202).end();
  },
): Promise<TestHost> {
  const requests: TestHost["requests"] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: request.method ?? "", url: request.url ?? "", body });
      respond(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${address}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
