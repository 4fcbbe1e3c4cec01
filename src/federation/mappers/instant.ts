import { Temporal } from "@js-temporal/polyfill";

/** A date as the `Temporal.Instant` Fedify's vocabulary takes. */
export function toInstant(date: Date): globalThis.Temporal.Instant {
  // Fedify types Temporal from the runtime's lib; the polyfill is what Node 24 actually has.
  return Temporal.Instant.fromEpochMilliseconds(
    date.getTime(),
  ) as unknown as globalThis.Temporal.Instant;
}
