import { existsSync } from "node:fs";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
  type Response,
} from "playwright-core";
import sharp from "sharp";
import { describe, it } from "vitest";
import type { RemoteActorRecord } from "../../src/actors/actors-repository.ts";
import type { App } from "../../src/app.ts";
import type { InPage } from "./in-page.ts";

/**
 * Real-browser tests: Debian's Chromium driven by playwright-core against instances that
 * listen on loopback (`buildTestApp({ listen: true })`, `buildInstancePair()`).
 * Playwright's own browser download does not work here: the tests use the system's Chromium.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const HOW_TO_INSTALL_CHROMIUM =
  `Chromium not found at ${CHROMIUM_PATH}. Install it with ` +
  '"sudo apt-get install --no-install-recommends chromium" (Debian, Ubuntu), ' +
  "or point CHROMIUM_PATH at a Chromium or Chrome binary.";

/**
 * Headless, without the sandbox (CI runs as root) and without any of the browser's own
 * traffic (updates, sync, safe browsing): the machines' network is closed, and a refused
 * connection at every start is slow and noisy. Playwright gives each launch a fresh,
 * empty profile directory, removed when the browser closes.
 */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * `describe` for a browser test file: skipped with a message saying how to install Chromium
 * when it is missing on a developer's machine, a failing test when it is missing in CI.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(name, body);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("needs Chromium", () => {
        throw new Error(`${HOW_TO_INSTALL_CHROMIUM} (.ci/run installs it before the tests)`);
      });
    });
  } else {
    console.warn(`Browser tests skipped: ${HOW_TO_INSTALL_CHROMIUM}`);
    describe.skip(name, body);
  }
}

/** One browser per test file: launch it in beforeAll, close it in afterAll. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The widths every page is checked and photographed at: a small phone, a laptop. */
export const NARROW = { width: 360, height: 780 };
export const WIDE = { width: 1280, height: 900 };

/**
 * A page that records what went wrong while it was open: console errors, uncaught
 * exceptions, content-security-policy violations, and the last document it loaded.
 */
export interface WatchedPage {
  page: Page;
  /** Problems seen since the last `clearProblems()`, one line each. */
  problems: string[];
  /** The response of the main frame's last document (after redirects). */
  lastDocument(): Response;
  clearProblems(): void;
}

/** A visitor's (or one member's) browser: its own cookies, French unless told otherwise. */
export async function newVisitor(
  browser: Browser,
  baseUrl: string,
  options: { locale?: string } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    locale: options.locale ?? "fr-FR",
    viewport: WIDE,
    colorScheme: "light",
  });
  // The page's CSP stays in force; the listener is installed by the browser itself,
  // which the CSP does not govern.
  await context.addInitScript(() => {
    const w = globalThis as unknown as InPage;
    w.document.addEventListener("securitypolicyviolation", (event) => {
      w.__reportCspViolation?.(
        `${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`,
      );
    });
  });
  return context;
}

/** Opens a tab of `context` and starts watching it. */
export async function watch(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  let last: Response | undefined;
  await page.exposeFunction("__reportCspViolation", (text: string) => {
    problems.push(`CSP violation: ${text}`);
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message}`));
  page.on("response", (response) => {
    const request = response.request();
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) last = response;
    else if (response.status() >= 400) {
      problems.push(`${request.resourceType()} answered ${response.status()}: ${response.url()}`);
    }
  });
  return {
    page,
    problems,
    lastDocument() {
      if (!last) throw new Error("this page has not loaded a document yet");
      return last;
    },
    clearProblems() {
      problems.length = 0;
    },
  };
}

/**
 * Logs in through the form as a person would: types the name and the password, presses
 * the button, and waits for the page the form leads to.
 */
export async function logInThroughForm(
  page: Page,
  username: string,
  password: string,
  next = "/tracker",
): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  const form = page.locator('main form[action="/login"]');
  await form.locator('input[name="username"]').pressSequentially(username);
  await form.locator('input[name="password"]').fill(password);
  await Promise.all([
    page.waitForURL((url) => url.pathname === next.split("?")[0]),
    form.locator('button[type="submit"]').click(),
  ]);
}

/** A photo for the pages to show: a plain 800×600 JPEG. */
export function testPhoto(): Promise<Buffer> {
  return sharp({ create: { width: 800, height: 600, channels: 3, background: "#4a7" } })
    .jpeg()
    .toBuffer();
}

/** bea's encounter with a photo, naming antoine: the page most tests look at. */
export async function beaEncounterWithPhoto(
  app: App,
  photo: Buffer,
): Promise<{ id: string; path: string }> {
  const view = await app.encounters.create(
    "bea",
    {
      text: "Un café avec @antoine au marché, on a parlé du potager #Socialdapres",
      participants: ["@antoine"],
      keywords: ["café", "potager"],
      photoAlt: "Deux tasses sur une table du marché",
    },
    photo,
  );
  return { id: view.id, path: `/@bea/${view.id}` };
}

/** A remote person as a lookup of `https://<host>/users/<username>` would give it. */
export const remoteActor = (username: string, host: string, name: string): RemoteActorRecord => ({
  iri: `https://${host}/users/${username}`,
  type: "Person",
  username,
  host,
  name,
  summary: "",
  url: `https://${host}/@${username}`,
  inboxUrl: `https://${host}/users/${username}/inbox`,
  sharedInboxUrl: null,
  followersUrl: null,
  avatarUrl: null,
  manuallyApprovesFollowers: false,
});
