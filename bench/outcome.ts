import type { FanoutResult } from "./fanout.ts";
import type { FootprintResult } from "./footprint.ts";
import type { GrowthResult } from "./growth.ts";
import type { InboxResult } from "./inbox.ts";
import type { MemoryResult } from "./memory.ts";
import type { ReadPathResult } from "./read-path.ts";
import type { SoakResult } from "./soak.ts";
import type { DatabaseKind } from "./support.ts";

/** One scenario's run on one database, as bench/run.ts records it and bench/report.ts renders it. */
export interface Outcome {
  name: string;
  database: DatabaseKind;
  args: string[];
  /** Load average (1 min) just before the run: other work on the machine skews the figures. */
  load: number;
  wallSeconds: number;
  result?:
    | FanoutResult
    | InboxResult
    | MemoryResult
    | GrowthResult
    | ReadPathResult
    | SoakResult
    | FootprintResult;
  /** Why there is no result: failed, stopped, or skipped for the time budget. */
  failure?: string;
}
