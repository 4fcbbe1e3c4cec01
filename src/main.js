/**
 * The server's entry point (`npm start`, the Docker image). Plain JavaScript on purpose: Node
 * keeps the modules it compiled — TypeScript stripped, V8's code — in its compile cache (the
 * system's temporary directory, or NODE_COMPILE_CACHE), so that a restart neither strips nor
 * compiles every module again; an entry written in TypeScript would load Node's TypeScript
 * stripper (about 17 MB, kept for the process's life) before the cache is on.
 */
import { enableCompileCache } from "node:module";

enableCompileCache();
await import("./serve.ts");
