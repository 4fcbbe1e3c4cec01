import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { pgDump } from "@electric-sql/pglite-tools/pg_dump";

/*
 * Runs pg_dump (WebAssembly, synchronous once started) on a copy of a PGlite data directory,
 * in a worker thread: the server's event loop keeps answering meanwhile (src/db/sql-dump.ts).
 */
const { dataDir, args } = workerData as { dataDir: Blob; args: string[] };
const copy = await PGlite.create({ loadDataDir: dataDir });
try {
  const file = await pgDump({ pg: copy, args });
  parentPort?.postMessage({ ok: true, script: await file.text() });
} catch (error) {
  parentPort?.postMessage({ ok: false, message: (error as Error).message });
} finally {
  await copy.close();
}
