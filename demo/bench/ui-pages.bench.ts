/**
 * How long each page of the web UI takes to load with the full demo fleet (about 400 miners):
 * from navigation to its data rendered, in Debian's Chromium. Baseline: a static HTML page of the
 * same size (the rendered page's own HTML, frozen), served over loopback HTTP in this process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, logIn } from '../src/browser.js';
import { startDemo } from '../src/demo.js';
import { parseFlags } from '../src/flags.js';
import { freePort } from '../src/ports.js';
import { waitForFleet } from '../src/wait.js';

const RUNS = 10;

const dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-bench-ui-'));
const parsed = parseFlags([
  '--port',
  String(await freePort()),
  '--mqtt-port',
  String(await freePort()),
  '--data-dir',
  dataDir,
  '--poll-s',
  '5',
]);
if (!parsed.ok) throw new Error(parsed.errors.join('; '));
const demo = await startDemo(parsed.options, { logLevel: 'error' });
const browser = await launchChromium();
try {
  const t0 = performance.now();
  await waitForFleet(demo, 120_000);
  console.log(
    `fleet: ${demo.scenario.miners.length} miners reporting after ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const container = demo.scenario.containers[0]!.id;
  const inContainer = demo.scenario.miners.filter((m) => m.containerId === container).length;
  const staker = demo.tokens.stakers[0]!;
  const pages: { name: string; token: string; hash: string; ready: string }[] = [
    {
      name: 'overview',
      token: demo.tokens.operator,
      hash: '#/overview',
      ready: '[data-testid=fleet-hashrate]',
    },
    {
      name: `container grid (${inContainer} miners)`,
      token: demo.tokens.technician,
      hash: `#/containers/${container}`,
      ready: `[data-testid=container-grid] .cell[data-miner]:not([data-miner=""]) >> nth=${inContainer - 1}`,
    },
    {
      name: 'alerts',
      token: demo.tokens.operator,
      hash: '#/alerts',
      ready: '[data-testid=problems]',
    },
    {
      name: 'relocation',
      token: demo.tokens.operator,
      hash: '#/relocation',
      ready: '[data-testid=relocation-ready]',
    },
    {
      name: 'accounting',
      token: demo.tokens.operator,
      hash: '#/accounting',
      ready: '[data-testid=accounting-ready]',
    },
    {
      name: 'staker portal',
      token: staker.token,
      hash: `#/stakers/${staker.stakerId}`,
      ready: '[data-testid=staker-ready]',
    },
  ];

  const rows: string[][] = [];
  for (const p of pages) {
    const page = await logIn(browser, demo.controller.url, p.token);
    const load = await timeLoads(page, `${demo.controller.url}/${p.hash}`, p.ready);
    // The rendered page frozen: same markup, without the app's script and stylesheet tags.
    const html = (await page.content()).replace(/<script[\s\S]*?<\/script>|<link[^>]*>/g, '');
    const baseline = await timeStatic(page, html);
    await page.context().close();
    rows.push([p.name, fmt(load), fmt(baseline), `${(html.length / 1024).toFixed(0)} KiB`]);
  }
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(`\npage load, navigation to data rendered, ${RUNS} runs each (median / p90 ms)`);
  console.log(`machine: ${cpus().length} cores, load average ${load} (the demo itself runs in this process)`);
  console.table(
    rows.map(([page, ui, baseline, size]) => ({ page, ui, 'static baseline': baseline, 'html size': size })),
  );
} finally {
  await browser.close();
  await demo.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

async function timeLoads(page: Page, url: string, ready: string): Promise<number[]> {
  const times: number[] = [];
  // One untimed load first: the first visit compiles the bundle and warms the server's caches.
  for (let i = -1; i < RUNS; i++) {
    await page.goto('about:blank');
    const t = performance.now();
    await page.goto(url);
    await page.locator(ready).first().waitFor({ state: 'attached', timeout: 30_000 });
    if (i >= 0) times.push(performance.now() - t);
  }
  return times;
}

/** The same bytes as a static page from a plain HTTP server: the floor any page load pays here. */
async function timeStatic(page: Page, html: string): Promise<number[]> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto('about:blank');
      const t = performance.now();
      await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });
      times.push(performance.now() - t);
    }
    return times;
  } finally {
    server.close();
  }
}

function fmt(times: number[]): string {
  const s = [...times].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `${q(0.5).toFixed(0)} / ${q(0.9).toFixed(0)}`;
}
