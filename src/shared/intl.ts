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

const formats = new Map<string, Intl.DateTimeFormat>();

/** `new Intl.DateTimeFormat(locale, options)`, made once per locale and options. */
export function dateTimeFormat(
  locale: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale}\u0000${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    // A bad locale or time zone throws here, and nothing is kept.
    format = new Intl.DateTimeFormat(locale, options);
    if (formats.size >= MAX_CACHED_FORMATS) {
      const oldest = formats.keys().next();
      if (!oldest.done) formats.delete(oldest.value);
    }
    formats.set(key, format);
  }
  return format;
}
