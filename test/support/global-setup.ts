import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../src/db/database.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A dumped, migrated PGlite data directory; empty when the tests use PostgreSQL. */
    pgliteTemplatePath: string;
  }
}

/**
 * Initialising and migrating PGlite takes seconds; doing it once for the whole
 * run, instead of once per test file, lets every test database load a copy.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide("pgliteTemplatePath", "");
    return;
  }
  const database = await openDatabase({ kind: "pglite" });
  await database.migrate();
  const blob = await (database.dumpTemplate as () => Promise<Blob>)();
  await database.close();
  const path = join(tmpdir(), `socialdapres-pglite-template-${process.pid}.tar`);
  await writeFile(path, Buffer.from(await blob.arrayBuffer()));
  project.provide("pgliteTemplatePath", path);
  return () => rm(path, { force: true });
}
