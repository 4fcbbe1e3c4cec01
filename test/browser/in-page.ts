import type AxeCore from "axe-core";

/**
 * The few browser globals that the functions run in the page (`page.evaluate`) use, typed
 * here: the project's type-check has no DOM library, whose types clash with Node's. A
 * function run in the page starts with `const w = globalThis as unknown as InPage;` (it
 * cannot use anything outside itself: Playwright sends its source to the browser).
 */
export interface InPage {
  document: PageDocument;
  innerWidth: number;
  getComputedStyle(element: PageElement): {
    outlineStyle: string;
    outlineWidth: string;
    outlineColor: string;
    overflowX: string;
    position: string;
  };
  /** Present once gates.ts has evaluated axe's source in the page. */
  axe: typeof AxeCore;
  /** Bound by support.ts (`exposeFunction`): reports a CSP violation to the test. */
  __reportCspViolation?: (text: string) => void;
}

export interface PageDocument {
  documentElement: PageElement & { scrollWidth: number };
  body: PageElement;
  activeElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  addEventListener(
    type: "securitypolicyviolation",
    listener: (event: { violatedDirective: string; blockedURI: string }) => void,
  ): void;
}

export interface PageElement {
  tagName: string;
  className: string;
  textContent: string | null;
  outerHTML: string;
  dataset: Record<string, string | undefined>;
  value?: string;
  parentElement: PageElement | null;
  scrollWidth: number;
  clientWidth: number;
  blur(): void;
  getBoundingClientRect(): { right: number; width: number };
}
