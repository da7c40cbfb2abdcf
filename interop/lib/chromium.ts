/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, launchChromium } from '@hashfleet/demo/browser';
import type { DemoHooks, RunningDemo } from '@hashfleet/demo/demo';
import { startDemoForTest } from '@hashfleet/demo/test-demo';
import { waitForFleet } from '@hashfleet/demo/wait';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';

/** Debian's Chromium against the whole demo started in this process, for the ui-* interop tests. */

/** Skips where Chromium is missing; in CI a missing Chromium is a failure, never a skip. */
export const describeWithChromium: typeof describe.skip =
  !existsSync(CHROMIUM) && !process.env.CI ? describe.skip : describe;

/** An internal id, which no screen shows. */
export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** A phone's screen, in CSS pixels. */
export const PHONE = { width: 390, height: 844 };

/**
 * artifacts/screenshots/; with `docs`, docs/screenshots/ instead when HASHFLEET_DOC_SCREENSHOTS=1
 * (the pictures the docs show), so a test run leaves the tree clean.
 */
export function screenshotDir(docs = false): string {
  const top = docs && process.env.HASHFLEET_DOC_SCREENSHOTS ? 'docs' : 'artifacts';
  return join(import.meta.dirname, '..', '..', top, 'screenshots');
}

export interface DemoInChromium {
  demo: RunningDemo;
  browser: Browser;
}

export interface DemoInChromiumOptions {
  /** The data directory is a fresh `hashfleet-<name>-…` under the temp dir, removed afterwards. */
  name: string;
  /** The scenario's size and such; the controller logs nothing unless `logLevel` says otherwise. */
  hooks: DemoHooks;
  /** Command-line flags for the demo; default `--poll-s 2`. */
  flags?: string[];
  /** Whether to wait (up to 240 s) until the demo's fleet is seen before the browser starts; default yes. */
  fleet?: boolean;
  /** A screenshot folder to make first. */
  shots?: string;
  /** How long starting everything and `ready` may take together; default 300 s. */
  timeoutMs?: number;
}

/**
 * In the enclosing describe: before all tests, starts the demo and Chromium and hands both to
 * `ready` (which may do more setup, within the same `timeoutMs`); after them, closes the browser, stops
 * the demo and removes its data.
 */
export function demoInChromium(
  options: DemoInChromiumOptions,
  ready: (started: DemoInChromium) => void | Promise<void>,
): void {
  let browser: Browser | undefined;
  let demo: RunningDemo | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    if (options.shots) mkdirSync(options.shots, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), `hashfleet-${options.name}-`));
    demo = await startDemoForTest(
      dataDir,
      { logLevel: 'silent', ...options.hooks },
      options.flags ?? ['--poll-s', '2'],
    );
    // Generous: on a shared two-core machine under load the first discovery and poll cycles are slow.
    if (options.fleet ?? true) await waitForFleet(demo, 240_000);
    browser = await launchChromium();
    await ready({ demo, browser });
  }, options.timeoutMs ?? 300_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
}

/**
 * A page in a new browser context at `viewport` with the token and language saved before the app
 * starts (no login form), opened at `hash`; close it with `page.context().close()`.
 */
export async function openSeeded(
  browser: Browser,
  url: string,
  token: string,
  hash: string,
  locale = 'en',
  viewport = PHONE,
): Promise<Page> {
  const context = await browser.newContext({ viewport });
  await context.addInitScript(
    ([tok, lang]) => {
      localStorage.setItem('hashfleet.token', tok);
      localStorage.setItem('hashfleet.locale', lang);
    },
    [token, locale] as const,
  );
  const page = await context.newPage();
  await page.goto(`${url}/${hash}`);
  return page;
}

/** The catalogue keys the app asked for and its language lacks (null: the app does not say). */
export function missingKeys(page: Page): Promise<string[] | null> {
  return page.evaluate(
    () => (window as { hashfleetMissingKeys?: () => string[] }).hashfleetMissingKeys?.() ?? null,
  );
}

/** The internal ids the page shows as text. */
export function uuidsOnScreen(page: Page): Promise<string[]> {
  return page.evaluate((re) => document.body.innerText.match(new RegExp(re, 'gi')) ?? [], UUID.source);
}

/**
 * The page's width and the screen's, and up to five elements that poke past the screen's right
 * edge, leaving out those inside an element matching `scrolling` (parts that scroll by design).
 */
export function widths(page: Page, scrolling = ''): Promise<{ page: number; screen: number; out: string[] }> {
  return page.evaluate(
    (except) => ({
      page: document.documentElement.scrollWidth,
      screen: window.innerWidth,
      out: [...document.querySelectorAll('body *')]
        .filter((e) => !except || !e.closest(except))
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
        .slice(0, 5),
    }),
    scrolling,
  );
}
