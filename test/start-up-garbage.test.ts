import { spawnSync } from "node:child_process";
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { collectStartUpGarbage } from "../src/shared/start-up-garbage.ts";

describe("collectStartUpGarbage", () => {
  it("collects what nothing holds any more, as only a full collection does", async () => {
    // A young-generation scavenge keeps a WeakRef's target; a full collection clears it.
    // A target is kept alive until the end of any turn that made or read its WeakRef.
    let garbage: object | undefined = { payload: "x".repeat(1 << 20).split("") };
    const ref = new WeakRef(garbage);
    garbage = undefined;
    expect(ref.deref()).toBeDefined();
    await nextTurn();
    collectStartUpGarbage();
    expect(ref.deref()).toBeUndefined();
  });

  it("prints nothing on the server's output (Node's experimental warning included)", () => {
    const module = new URL("../src/shared/start-up-garbage.ts", import.meta.url).href;
    const run = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(module)}); m.collectStartUpGarbage(); process.emitWarning("a warning of others");`,
      ],
      { encoding: "utf8" },
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("a warning of others");
    expect(run.stderr).not.toContain("queryObjects");
  });
});
