import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium; CI installs it with apt (.ci/run). */
export const CHROMIUM = process.env.HASHFLEET_CHROMIUM ?? '/usr/bin/chromium';

/** Headless flags that keep Chromium from calling home or needing a GPU or a sandbox (runs as root in CI). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Opens the UI, pastes the token and waits until the app shows who is logged in. */
export async function logIn(browser: Browser, url: string, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=who]');
  return page;
}
