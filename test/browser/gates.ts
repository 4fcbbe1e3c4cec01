import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Result } from "axe-core";
import { type ConfigData, HtmlValidate } from "html-validate";
import type { InPage, PageElement } from "./in-page.ts";
import { NARROW, type WatchedPage, WIDE } from "./support.ts";

/**
 * The quality gates every page visited in a browser test goes through (`checkPage`):
 * accessibility (axe-core, light and dark), valid HTML (html-validate with the repository's
 * .htmlvalidate.json), no console error nor CSP violation, no sideways scroll at 360 px nor
 * text running out of a table cell,
 * a name for every field, a visible keyboard focus, and screenshots at 360 and 1280 px.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
export const SCREENSHOTS_DIR = join(ROOT, "test-artifacts", "screenshots");

// axe's source, evaluated in the page through the DevTools protocol: the page's own CSP
// (no inline script) stays in force for everything else the test checks.
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), {
  encoding: "utf8",
});

let validator: HtmlValidate | undefined;
function htmlValidator(): HtmlValidate {
  validator ??= new HtmlValidate({
    ...(JSON.parse(readFileSync(join(ROOT, ".htmlvalidate.json"), "utf8")) as ConfigData),
    root: true,
  });
  return validator;
}

export interface GateOptions {
  /**
   * Console errors this page is expected to log, e.g. the browser's own line for a
   * document answered with 404 or 422. Everything else fails the gate.
   */
  expectedConsole?: RegExp[];
}

/**
 * Runs every gate on the page as it is now, photographs it as `<name>-<width>.png`, and
 * throws one error listing every failure. Leaves the page at the wide viewport.
 */
export async function checkPage(
  watched: WatchedPage,
  name: string,
  options: GateOptions = {},
): Promise<void> {
  const { page } = watched;
  const failures: string[] = [];
  const section = (title: string, lines: string[]) => {
    if (lines.length > 0) failures.push(`${title}:\n${lines.map((l) => `  - ${l}`).join("\n")}`);
  };

  section("HTML is not valid (html-validate, .htmlvalidate.json)", await invalidHtml(watched));
  await injectAxe(watched);
  section("accessibility (axe-core), light", await axeViolations(watched));
  section("fields without an accessible name", await unnamedFields(watched));
  section("keyboard focus not visible", await invisibleFocus(watched));

  await page.emulateMedia({ colorScheme: "dark" });
  section(
    "accessibility (axe-core), dark colour scheme",
    await axeViolations(watched, ["color-contrast"]),
  );
  await page.emulateMedia({ colorScheme: "light" });

  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.setViewportSize(NARROW);
  const overflow = await page.evaluate(() => {
    const w = globalThis as unknown as InPage;
    return { scrollWidth: w.document.documentElement.scrollWidth, innerWidth: w.innerWidth };
  });
  if (overflow.scrollWidth > overflow.innerWidth) {
    section(`horizontal scroll at ${NARROW.width} px`, [
      `the page is ${overflow.scrollWidth} px wide for a ${overflow.innerWidth} px window; widest: ${await widestElements(watched)}`,
    ]);
  }
  section(`text running out of its table cell at ${NARROW.width} px`, await overrunCells(watched));
  await page.screenshot({ path: screenshotPath(name, NARROW.width), fullPage: true });
  await page.setViewportSize(WIDE);
  await page.screenshot({ path: screenshotPath(name, WIDE.width), fullPage: true });

  const expected = options.expectedConsole ?? [];
  section(
    "console errors, exceptions or CSP violations",
    watched.problems.filter((p) => !expected.some((pattern) => pattern.test(p))),
  );
  watched.clearProblems();

  if (failures.length > 0) {
    throw new Error(`Page "${name}" (${page.url()}) fails its gates:\n${failures.join("\n")}`);
  }
}

/** Chromium's own console line for a document answered with an error status. */
export const ERROR_STATUS = (status: number) => new RegExp(`status of ${status}\\b`);

/**
 * Visits each `[name, path]` and runs the gates on it; one error at the end lists every
 * failure (a page that does not answer 200 is one).
 */
export async function checkPages(
  watched: WatchedPage,
  pages: ReadonlyArray<readonly [string, string]>,
): Promise<void> {
  const failures: string[] = [];
  for (const [name, path] of pages) {
    const response = await watched.page.goto(path);
    if (response?.status() !== 200) failures.push(`${path} answered ${response?.status()}`);
    else await checkPage(watched, name).catch((error: Error) => failures.push(error.message));
  }
  if (failures.length > 0) throw new Error(failures.join("\n\n"));
}

export const screenshotPath = (name: string, width: number) =>
  join(SCREENSHOTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, "-")}-${width}.png`);

/** html-validate's errors on the HTML the server sent for the page's document. */
async function invalidHtml(watched: WatchedPage): Promise<string[]> {
  const response = watched.lastDocument();
  if (!(response.headers()["content-type"] ?? "").startsWith("text/html")) {
    return [`the document is ${response.headers()["content-type"]}, not text/html`];
  }
  const report = await htmlValidator().validateString(await response.text(), response.url());
  return report.results.flatMap((result) =>
    result.messages.map(
      (m) => `${m.ruleId} at line ${m.line}:${m.column}: ${m.message} (${m.selector ?? ""})`,
    ),
  );
}

async function injectAxe(watched: WatchedPage): Promise<void> {
  const present = await watched.page.evaluate(() => "axe" in globalThis);
  if (!present) await watched.page.evaluate(AXE_SOURCE);
}

/** axe-core's serious and critical violations, one line per element. */
async function axeViolations(watched: WatchedPage, rules?: string[]): Promise<string[]> {
  const violations = await watched.page.evaluate(async (only) => {
    const w = globalThis as unknown as InPage;
    const results = await w.axe.run(w.document, {
      resultTypes: ["violations"],
      ...(only ? { runOnly: { type: "rule" as const, values: only } } : {}),
    });
    return results.violations;
  }, rules);
  return violations
    .filter((v: Result) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v: Result) =>
      v.nodes.map(
        (node) =>
          `[${v.impact}] ${v.id}: ${v.help} — ${node.target.join(" ")}: ${node.failureSummary?.replaceAll("\n", " ")} (${v.helpUrl})`,
      ),
    );
}

/** Every visible input, select and textarea has an accessible name (label, aria-label…). */
async function unnamedFields(watched: WatchedPage): Promise<string[]> {
  return watched.page.evaluate(() => {
    const w = globalThis as unknown as InPage;
    const axe = w.axe;
    axe.setup(w.document);
    try {
      return [
        ...w.document.querySelectorAll(
          'input:not([type="hidden"]):not([type="submit"]):not([type="button"]), select, textarea',
        ),
      ]
        .filter((field) => axe.commons.text.accessibleText(field).trim() === "")
        .map((field) => field.outerHTML.slice(0, 200));
    } finally {
      axe.teardown();
    }
  });
}

/**
 * Tabs to the first link and compares its outline with and without the keyboard focus:
 * the focused one must be drawn (a style, a width of 2 px or more) and differ.
 */
async function invisibleFocus(watched: WatchedPage): Promise<string[]> {
  const { page } = watched;
  const outline = () =>
    page.evaluate(() => {
      const w = globalThis as unknown as InPage;
      const element = w.document.activeElement;
      if (!element || element === w.document.body) return undefined;
      const style = w.getComputedStyle(element);
      return {
        tag: element.tagName.toLowerCase(),
        text: (element.textContent ?? "").trim().slice(0, 40),
        style: style.outlineStyle,
        width: Number.parseFloat(style.outlineWidth),
        color: style.outlineColor,
      };
    });
  await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.blur());
  let focused: Awaited<ReturnType<typeof outline>>;
  for (let presses = 0; presses < 15; presses++) {
    await page.keyboard.press("Tab");
    focused = await outline();
    if (focused?.tag === "a") break;
  }
  if (focused?.tag !== "a") return ["no link reached with the Tab key"];
  // The same link, focused by script without the keyboard: :focus-visible does not apply.
  await page.evaluate(() => {
    const element = (globalThis as unknown as InPage).document.activeElement;
    if (!element) return;
    element.blur();
    element.dataset.gateFocus = "";
  });
  const unfocused = await page.evaluate(() => {
    const w = globalThis as unknown as InPage;
    const element = w.document.querySelector("[data-gate-focus]");
    if (!element) return undefined;
    delete element.dataset.gateFocus;
    const style = w.getComputedStyle(element);
    return { style: style.outlineStyle, width: Number.parseFloat(style.outlineWidth) };
  });
  const drawn = focused.style !== "none" && focused.width >= 2;
  const differs =
    unfocused === undefined ||
    unfocused.style !== focused.style ||
    unfocused.width !== focused.width;
  return drawn && differs
    ? []
    : [
        `the focused link "${focused.text}" has outline ${focused.style} ${focused.width}px ${focused.color}` +
          ` (unfocused: ${unfocused?.style} ${unfocused?.width}px)`,
      ];
}

/**
 * The table cells whose content is wider than the cell: on a phone, a long address in a
 * narrow column runs over its neighbour (or is cut off) without widening the page.
 */
async function overrunCells(watched: WatchedPage): Promise<string[]> {
  return watched.page.evaluate(() => {
    const w = globalThis as unknown as InPage;
    return [...w.document.querySelectorAll("td, th")]
      .filter((cell) => cell.getBoundingClientRect().width > 1)
      .filter((cell) => cell.scrollWidth > cell.clientWidth + 1)
      .map(
        (cell) =>
          `<${cell.tagName.toLowerCase()}> ${cell.scrollWidth} px of content in ${cell.clientWidth} px: ${(cell.textContent ?? "").trim().slice(0, 60)}`,
      );
  });
}

/**
 * The elements wider than the window, to say what makes a page scroll sideways; those inside
 * a box that scrolls or clips on its own (a wide table in its scroller) are left out, unless
 * they are placed outside it (absolutely, fixed), where its clipping does not reach them.
 */
async function widestElements(watched: WatchedPage): Promise<string> {
  return watched.page.evaluate(() => {
    const w = globalThis as unknown as InPage;
    const clipped = (element: PageElement) => {
      if (["absolute", "fixed"].includes(w.getComputedStyle(element).position)) return false;
      for (
        let box = element.parentElement;
        box && box !== w.document.body;
        box = box.parentElement
      ) {
        if (w.getComputedStyle(box).overflowX !== "visible") return true;
      }
      return false;
    };
    return [...w.document.querySelectorAll("body *")]
      .filter((element) => element.getBoundingClientRect().right > w.innerWidth)
      .filter((element) => !clipped(element))
      .slice(0, 5)
      .map((element) => `<${element.tagName.toLowerCase()} class="${element.className}">`)
      .join(", ");
  });
}
