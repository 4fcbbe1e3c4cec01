/**
 * The server's entry point (`npm start`, the Docker image): Node keeps the modules it compiled —
 * TypeScript stripped, V8's code — in its compile cache (in the system's temporary directory,
 * or NODE_COMPILE_CACHE), so that a restart does not strip and compile every module again. The
 * cache must be on before the first import, hence the server itself in src/serve.ts.
 */
import { enableCompileCache } from "node:module";

enableCompileCache();
await import("./serve.ts");
