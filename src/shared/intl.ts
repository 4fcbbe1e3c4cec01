/**
 * Intl objects made once per locale and options, then reused. Each
 * `new Intl.DateTimeFormat()` allocates native ICU memory that the process
 * does not give back even after the object is collected: building two date
 * formats per encounter shown let any visitor grow the server's memory by
 * gigabytes (bench/memory.ts). Formatting with a kept object costs nothing.
 *
 * This cache of immutable objects is process-wide on purpose. It is bounded,
 * since some keys come from people (a time zone name): past the bound the
 * oldest entry is dropped.
 */

export const MAX_CACHED_FORMATS = 1000;

/** The object kept under `key`, made by `make` the first time; the oldest goes past the bound. */
function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    // A bad locale or time zone throws here, and nothing is kept.
    value = make();
    if (cache.size >= MAX_CACHED_FORMATS) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, value);
  }
  return value;
}

const dates = new Map<string, Intl.DateTimeFormat>();
const numbers = new Map<string, Intl.NumberFormat>();

/** `new Intl.DateTimeFormat(locale, options)`, made once per locale and options. */
export function dateTimeFormat(
  locale: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  return cached(
    dates,
    `${locale}\u0000${JSON.stringify(options)}`,
    () => new Intl.DateTimeFormat(locale, options),
  );
}

/** `new Intl.NumberFormat(locale, options)`, made once per locale and options (same reason). */
export function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return cached(
    numbers,
    `${locale}\u0000${JSON.stringify(options)}`,
    () => new Intl.NumberFormat(locale, options),
  );
}

/**
 * A calendar day (YYYY-MM-DD) in words of `locale`: the day itself, whatever the server's
 * time zone. Anything that is not such a day comes back as it was.
 */
export function formatCalendarDay(
  locale: string,
  isoDate: string,
  options: Pick<Intl.DateTimeFormatOptions, "day" | "month" | "year" | "weekday">,
): string {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? new Date(`${isoDate}T00:00:00Z`) : undefined;
  if (!date || Number.isNaN(date.getTime())) return isoDate;
  return dateTimeFormat(locale, { ...options, timeZone: "UTC" }).format(date);
}
