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

type ScenarioResult = NonNullable<Outcome["result"]>;
type Scenario = ScenarioResult["scenario"];
/** An outcome that holds a result of that scenario. */
export type OutcomeOf<S extends Scenario> = Outcome & {
  result: Extract<ScenarioResult, { scenario: S }>;
};

/** The outcomes with a result of `scenario`, typed as such. */
export const ofScenario =
  <S extends Scenario>(scenario: S) =>
  (o: Outcome): o is OutcomeOf<S> =>
    o.result?.scenario === scenario;

/** A line for each run that `matches` and has no result: why (failed, stopped, skipped). */
export const failureLines = (outcomes: Outcome[], matches: (o: Outcome) => boolean): string[] =>
  outcomes
    .filter((o) => o.failure && matches(o))
    .map((o) => `- ${o.name} (${o.database}): ${o.failure}`);
