import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

/** The environment of a server process on loopback: the embedded database in `dataDir` unless DATABASE_URL is given. */
export function serverProcessEnv(
  dataDir: string,
  port: number,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
  };
  delete env.DATABASE_URL;
  delete env.ORIGIN;
  return { ...env, ...extra };
}

export interface ServerProcess {
  child: ChildProcess;
  /** Resolves once the server printed `text` on its standard output; fails if it exits first. */
  printed(text: string): Promise<void>;
  /** Its exit code. */
  exited: Promise<number | null>;
  /** What it printed so far. */
  output(): string;
}

/** `node src/main.js` as a child process; pushed on `started` so that an afterAll can kill what a failed test left. */
export function startServerProcess(env: NodeJS.ProcessEnv, started: ChildProcess[]): ServerProcess {
  const child = spawn(process.execPath, ["src/main.js"], {
    cwd: projectRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let output = "";
  const waiters = new Set<{ text: string; resolve: () => void }>();
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters) {
      if (!output.includes(waiter.text)) continue;
      waiters.delete(waiter);
      waiter.resolve();
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return {
    child,
    exited,
    output: () => output,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        if (output.includes(text)) return resolve();
        waiters.add({ text, resolve });
        void exited.then((code) =>
          reject(new Error(`server exited with ${code} before printing "${text}": ${output}`)),
        );
      }),
  };
}
