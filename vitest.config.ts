import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    // Building two instances on PostgreSQL (a database each, every migration) takes long on a
    // loaded 2-core machine.
    hookTimeout: 120_000,
    // Each test file builds its own databases. Vitest runs (cores - 1) files at once: one at a
    // time on 2 cores, which keeps the timing-sensitive tests (process start, queue leases) honest.
    fileParallelism: true,
  },
});
