/*
 * Text that other people wrote (a remote display name, a participant's name, an
 * encounter's text) may carry Unicode bidirectional formatting characters:
 * embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069). An
 * unclosed right-to-left override reverses everything after it, our own words
 * included, so "\u202Eevil" can make a page say what it does not. On our pages
 * they are removed from everything people wrote, and what sits inline among
 * our words is isolated (`<bdi>` in HTML, FSI…PDI in plain text), so even a
 * right-to-left name without controls cannot reorder its neighbours.
 *
 * The marks U+200E, U+200F and U+061C stay: they are how right-to-left names
 * and texts get numbers and punctuation right, they open nothing that runs on
 * past them, and inside an isolate they affect nothing outside it.
 */

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** The text without bidi embeddings, overrides and isolates. */
export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, "");
}

/**
 * Someone's text set apart for plain text (a page's title), where no element
 * can isolate it: without controls of its own, between FIRST STRONG ISOLATE
 * and POP DIRECTIONAL ISOLATE.
 */
export function isolateBidi(text: string): string {
  return `\u2068${stripBidiControls(text)}\u2069`;
}
