// One citizen's lookup in headless Chromium at phone width, timed from pressing Search to the
// voter's page: the key derived (in workers, or on the page where workers are taken away),
// its shard fetched, the page opened. Used by bench/lookup/run.sh. DevTools' CPU throttling
// slows the page's renderer; how much it slows workers is Chromium's business, so that mode is
// a rough hint of a slower device, not a phone.
//
//   node bench/lookup/chromium.mjs URL_OF_LOOKUP_PAGE IDS_FILE TRIES
//
// Prints one line a mode: median and fastest of TRIES lookups, each of a different voter, each
// from a freshly loaded lookup page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../tests/a11y/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const [url, idsFile, triesText] = process.argv.slice(2);
const ids = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
const tries = Math.min(Number(triesText || 5), ids.length);
const CHROMIUM = process.env.VEEDOR_CHROMIUM || '/usr/bin/chromium';

// "typed": the id typed at 150 ms a character, as a citizen would (the workers start when the
// field is focused); "at once": filled and searched at once, so the workers' start is waited for.
const modes = [
  { name: 'workers, typed', throttle: 1, workers: true, typed: true },
  { name: 'workers, at once', throttle: 1, workers: true, typed: false },
  { name: 'on the page (no workers), typed', throttle: 1, workers: false, typed: true },
  { name: 'workers, typed, DevTools CPU throttling 4x', throttle: 4, workers: true, typed: true },
];

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
try {
  console.log(`Chromium ${browser.version()}, navigator.hardwareConcurrency as the page sees it below`);
  for (const mode of modes) {
    const times = [];
    let cores = null;
    const workersStarted = [];
    for (let i = 0; i < tries; i++) {
      const context = await browser.newContext({ viewport: { width: 412, height: 915 } });
      const page = await context.newPage();
      let started = 0;
      page.on('worker', () => { started += 1; });
      if (!mode.workers) {
        await page.addInitScript(() => { window.Worker = undefined; });
      }
      await page.goto(url);
      if (mode.throttle > 1) {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: mode.throttle });
      }
      cores = await page.evaluate(() => navigator.hardwareConcurrency);
      if (mode.typed) {
        await page.type('#voter_id', ids[i], { delay: 150 });
      } else {
        await page.fill('#voter_id', ids[i]);
      }
      const searched = Date.now();
      await page.click('form.lookup button');
      await page.waitForURL(/\/(table|centre)\//, { timeout: 120000 });
      times.push(Date.now() - searched);
      workersStarted.push(started);
      await context.close();
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    console.log(`${mode.name}: median ${median} ms, fastest ${times[0]} ms, slowest ${times[times.length - 1]} ms (${times.length} lookups; hardwareConcurrency ${cores}; workers started a lookup: ${[...new Set(workersStarted)].join(' or ')})`);
  }
} finally {
  await browser.close();
}
