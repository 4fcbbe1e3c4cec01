import type { Sql } from "postgres";

/**
 * Drizzle runs every statement through postgres.js's `unsafe` without preparing it, and
 * postgres.js then sends a statement with parameters in two round trips (describe it to learn
 * its parameters' types, then bind and execute): two socket writes, and PostgreSQL parses and
 * analyzes the text every time. A prepared statement is one round trip, parsed once per
 * connection. This client prepares a statement from the second time its text is run: the
 * hot ones (an inbox job runs the same few texts again and again) are prepared, and a text
 * seen once (an `in (…)` list of unusual length) is not.
 *
 * Bounded: at most `maxPrepared` texts are ever prepared by the process (postgres.js keeps a
 * connection's statements until the connection closes, and so does PostgreSQL), and the texts
 * counted are forgotten in bulk past `maxCounted`. The plans stay as good as unprepared ones:
 * the connection asks PostgreSQL for a custom plan at each execution (`plan_cache_mode`), so a
 * skewed parameter is never run with a generic plan.
 */
export function preparingRepeatedStatements(
  client: Sql,
  limits: { maxPrepared?: number; maxCounted?: number } = {},
): Sql {
  const maxPrepared = limits.maxPrepared ?? 500;
  const maxCounted = limits.maxCounted ?? 5_000;
  const prepared = new Set<string>();
  const seen = new Set<string>();
  const shouldPrepare = (text: string): boolean => {
    if (prepared.has(text)) return true;
    if (!seen.has(text)) {
      if (seen.size >= maxCounted) seen.clear();
      seen.add(text);
      return false;
    }
    if (prepared.size >= maxPrepared) return false;
    prepared.add(text);
    return true;
  };
  const unsafe: Sql["unsafe"] = (text, parameters, options) =>
    client.unsafe(text, parameters, {
      ...options,
      // Without parameters postgres.js uses the simple protocol: one round trip already.
      prepare:
        options?.prepare === true ||
        (Array.isArray(parameters) && parameters.length > 0 && shouldPrepare(text)),
    });
  return new Proxy(client, {
    get: (target, property, receiver) =>
      property === "unsafe" ? unsafe : Reflect.get(target, property, receiver),
  });
}

/** The connection setting that keeps prepared statements on custom plans (see above). */
export const CUSTOM_PLANS = { plan_cache_mode: "force_custom_plan" } as const;
