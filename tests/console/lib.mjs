// lib.mjs: shared helpers of the console's browser tests (playwright-core
// driving Debian's /usr/bin/chromium headless). Each check prints one line
// "ok - ..." or "not ok - ..." that tests/suites/console.sh turns into TAP.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const external = [];
  const pageErrors = [];
  // The console must load nothing from outside its own server.
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:' && u.protocol !== 'about:')
      external.push(req.url());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  return { browser, page, external, pageErrors };
}

export class Reporter {
  constructor(screens) {
    this.screens = screens;
    this.failed = 0;
    mkdirSync(screens, { recursive: true });
  }

  ok(desc) { console.log(`ok - ${desc}`); }

  nok(desc, detail) {
    this.failed++;
    console.log(`not ok - ${desc}`);
    if (detail) for (const l of String(detail).split('\n').slice(0, 20)) console.log(`#   ${l}`);
  }

  async shot(page, name) {
    try {
      await page.screenshot({ path: join(this.screens, `${name}.png`), fullPage: true });
    } catch (e) {
      console.log(`# screenshot ${name} failed: ${e.message}`);
    }
  }

  // Run one check: fn throws (or returns a string) on failure. A screenshot
  // named `shot` is taken afterwards either way.
  async check(page, desc, shot, fn) {
    try {
      const r = await fn();
      if (typeof r === 'string') this.nok(desc, r);
      else this.ok(desc);
    } catch (e) {
      this.nok(desc, e && e.stack ? e.stack : e);
    }
    if (shot) await this.shot(page, shot);
  }
}

// Poll fn() until it returns a truthy value or the deadline passes; returns
// the last value.
export async function waitFor(fn, ms = 10000, step = 200) {
  const end = Date.now() + ms;
  let v;
  for (;;) {
    try { v = await fn(); } catch (e) { v = undefined; }
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, step));
  }
}

export async function sql(base, text, db = 'public') {
  const r = await fetch(`${base}/v1/sql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `sql=${encodeURIComponent(text)}&db=${encodeURIComponent(db)}`,
  });
  return r.json();
}

// Type SQL in the query view and run it; resolves when the run finished.
export async function runSql(page, text, opts = {}) {
  await page.goto(opts.base + '/dashboard/#/query');
  await page.fill('#sql', text);
  await page.selectOption('#read-pref', opts.readPreference || 'leader');
  await page.setChecked('#show-peers', !!opts.peers);
  await page.click('#run');
  await page.waitForFunction(() => !document.getElementById('run').disabled &&
    !/running/.test(document.getElementById('query-meta').textContent));
  if (opts.peers)
    await page.waitForFunction(() => document.getElementById('query-error').hidden === false ||
      document.getElementById('query-peers').textContent.length > 0, null, { timeout: 10000 });
}

export function cellRoles(page) {
  return page.$$eval('#region-grid tbody td.cell', (cells) =>
    cells.map((c) => ({ region: c.parentElement.dataset.regionId, peer: Number(c.dataset.peerId),
      role: c.dataset.role, text: c.textContent })));
}
