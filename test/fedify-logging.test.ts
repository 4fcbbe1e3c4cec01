import type { LogRecord } from "@logtape/logtape";
import { describe, expect, it } from "vitest";
import { pinoLevelOf } from "../src/shared/fedify-logging.ts";

const record = (category: string[], level: LogRecord["level"]): LogRecord => ({
  category,
  level,
  message: ["x"],
  rawMessage: "x",
  properties: {},
  timestamp: Date.now(),
});

describe("the levels Fedify's records are logged at", () => {
  it("a handle that does not resolve is the member's mistake: info, not error", () => {
    expect(pinoLevelOf(record(["fedify", "webfinger", "lookup"], "error"))).toBe("info");
  });

  it("keeps every other level and category as Fedify gave it", () => {
    expect(pinoLevelOf(record(["fedify", "federation", "queue"], "error"))).toBe("error");
    expect(pinoLevelOf(record(["fedify", "webfinger", "lookup"], "warning"))).toBe("warn");
    expect(pinoLevelOf(record(["fedify", "sig", "http"], "debug"))).toBe("debug");
  });
});
