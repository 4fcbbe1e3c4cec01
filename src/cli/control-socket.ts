import { chmod, rm } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import type { App } from "../app.ts";
import { runCommand } from "./commands.ts";

interface ControlRequest {
  argv: string[];
  stdin?: string;
}
interface ControlResponse {
  code: number;
  out: string[];
  err: string[];
}

const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * The embedded database belongs to one process. While the server runs, the
 * CLI hands it its commands through a Unix socket only the owner can open.
 */
export const controlSocketPath = (dataDir: string) => join(dataDir, "socialdapres.sock");

export async function serveControlSocket(app: App, path: string): Promise<Server> {
  await rm(path, { force: true });
  // Half-open: the client ends its side after the request and still reads our answer.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) socket.destroy();
      else chunks.push(chunk);
    });
    socket.on("end", async () => {
      const response: ControlResponse = { code: 1, out: [], err: [] };
      try {
        const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ControlRequest;
        response.code = await runCommand(app, request.argv, {
          stdin: request.stdin,
          out: (line) => response.out.push(line),
          err: (line) => response.err.push(line),
        });
      } catch (error) {
        app.logger.error({ err: error }, "control command failed");
        response.err.push("The command failed on the server; see its log.");
      }
      socket.end(JSON.stringify(response));
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
}

/** Sends a command to a running server; undefined when none is listening. */
export function sendToControlSocket(
  path: string,
  request: ControlRequest,
): Promise<ControlResponse | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    socket.on("connect", () => socket.end(JSON.stringify(request)));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as ControlResponse);
      } catch (error) {
        reject(error);
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ECONNREFUSED") resolve(undefined);
      else reject(error);
    });
  });
}
