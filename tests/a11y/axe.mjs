// veedor's accessibility check: axe-core's WCAG 2.1 A and AA rules on every page given, in the
// system's headless Chromium, at phone width and without JavaScript (docs/web.md,
// "Accessibility"). A page that loads a script is checked a second time with JavaScript on.
//
//   node tests/a11y/axe.mjs [--allow RULE@KIND]... [--cookie KIND=NAME=VALUE]... [--file FILE] [KIND=]URL...
//
// --cookie sends a cookie with the pages of one kind only (a volunteer's session: the desk's
// pages are behind sign-in, and each kind may be another volunteer's).
// KIND names the page in the report and in the allow-list (it defaults to the URL). A FILE
// lists one [KIND=]URL a line; blank lines and lines starting with # are skipped. Each
// --allow RULE@KIND accepts that rule's serious or critical violations on pages of that kind
// (a known violation, to be fixed in the renderer); an allowed violation that no longer occurs
// fails the run, so that the allow-list only ever shrinks.
//
// Prints a JSON report on standard output and, on standard error, one line per serious or
// critical violation. Exits 0 when there is none (but allowed ones), 1 when there is, 2 when
// the check could not run (no Chromium, no node_modules, a page that would not load).
//
// Without JavaScript: Playwright's `javaScriptEnabled: false` cannot be lifted once a page has
// loaded, and axe-core needs timers (setTimeout), which Chromium does not run while scripts are
// disabled: axe.run never settles. So the harness disables script execution itself, through
// the page's DevTools session (Emulation.setScriptExecutionDisabled) before it navigates: the
// page is parsed and rendered as a browser without JavaScript renders it (<noscript> shown, no
// script of the page run). Only after it has loaded is script execution enabled again, and axe
// is evaluated from the automation side (Runtime.evaluate, which no Content-Security-Policy
// blocks). Nothing runs the page's own scripts then: a script the parser skipped stays skipped.
// Before lifting, the harness checks that a timer really does not fire, so a Chromium that
// ignored the setting fails the run rather than checking the wrong page.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHROMIUM = process.env.VEEDOR_CHROMIUM || '/usr/bin/chromium';
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const FAILING = new Set(['serious', 'critical']);
// A phone: the cheap Android phones citizens use are about this size.
const PHONE = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
const PAGE_TIMEOUT_MS = 30_000;

function fail(message) {
  process.stderr.write(`axe.mjs: ${message}\n`);
  process.exit(2);
}

function parseArguments(argv) {
  const pages = [];
  const allow = [];
  const cookies = new Map();
  const addPage = (spec) => {
    const match = /^([A-Za-z0-9_.:-]+)=(https?:\/\/.*)$/.exec(spec);
    const [kind, url] = match ? [match[1], match[2]] : [spec, spec];
    if (!/^https?:\/\//.test(url)) fail(`not a URL: ${spec}`);
    pages.push({ kind, url });
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === '--cookie') {
      const value = argv[++index];
      const match = value === undefined ? null : /^([A-Za-z0-9_.:-]+)=([^=]+)=(.*)$/.exec(value);
      if (!match) fail(`--cookie takes KIND=NAME=VALUE, not ${value}`);
      cookies.set(match[1], { name: match[2], value: match[3] });
    } else if (argument === '--allow' || argument === '--file') {
      const value = argv[++index];
      if (value === undefined) fail(`${argument} needs a value`);
      if (argument === '--allow') {
        const [rule, kind] = value.split('@');
        if (!rule || !kind) fail(`--allow takes RULE@KIND, not ${value}`);
        allow.push({ rule, kind, seen: false });
      } else {
        for (const line of readFileSync(value, 'utf8').split('\n')) {
          const trimmed = line.trim();
          if (trimmed && !trimmed.startsWith('#')) addPage(trimmed);
        }
      }
    } else if (argument.startsWith('--')) {
      fail(`unknown option ${argument}`);
    } else {
      addPage(argument);
    }
  }
  if (pages.length === 0) fail('no page to check: give URLs or --file FILE');
  for (const page of pages) page.cookie = cookies.get(page.kind) ?? null;
  return { pages, allow };
}

async function loadDependencies() {
  const here = dirname(fileURLToPath(import.meta.url));
  if (!existsSync(join(here, 'node_modules'))) {
    fail(`${join(here, 'node_modules')} is missing: run scripts/install-test-deps (npm ci in tests/a11y)`);
  }
  const require = createRequire(import.meta.url);
  const { chromium } = await import('playwright-core');
  const axePath = require.resolve('axe-core/axe.min.js');
  const axeVersion = JSON.parse(readFileSync(join(dirname(axePath), 'package.json'), 'utf8')).version;
  return { chromium, axeSource: readFileSync(axePath, 'utf8'), axeVersion };
}

// Does a timer fire within `ms`? Evaluated from the automation side, which works whether or not
// the page may run scripts; a timer only fires when it may.
async function timerFires(page, ms) {
  const fired = page
    .evaluate(() => new Promise((resolve) => setTimeout(() => resolve(true), 0)))
    .catch(() => false);
  const waited = new Promise((resolve) => setTimeout(() => resolve(false), ms));
  return Promise.race([fired, waited]);
}

async function runAxe(page, axeSource) {
  await page.evaluate(axeSource);
  return page.evaluate(
    (tags) =>
      window.axe
        .run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
        .then((results) =>
          results.violations.map((violation) => ({
            id: violation.id,
            impact: violation.impact,
            help: violation.help,
            helpUrl: violation.helpUrl,
            nodes: violation.nodes.map((node) => ({
              target: node.target,
              html: node.html,
              summary: node.failureSummary,
            })),
          })),
        ),
    TAGS,
  );
}

// Opens `url` in `context` and runs axe on it. With `javascript` false, the page loads with
// script execution disabled (see the note at the top).
async function check(context, axeSource, { kind, url, cookie }, javascript) {
  await context.clearCookies();
  if (cookie) await context.addCookies([{ ...cookie, url }]);
  const page = await context.newPage();
  try {
    let session = null;
    if (!javascript) {
      session = await context.newCDPSession(page);
      await session.send('Emulation.setScriptExecutionDisabled', { value: true });
    }
    const response = await page.goto(url, { waitUntil: 'load', timeout: PAGE_TIMEOUT_MS });
    const status = response ? response.status() : null;
    const contentType = response ? (response.headers()['content-type'] ?? '') : '';
    const scripts = await page.evaluate(() => document.scripts.length);
    if (session) {
      if (await timerFires(page, 200)) {
        fail(`${url}: scripts ran although script execution was disabled`);
      }
      await session.send('Emulation.setScriptExecutionDisabled', { value: false });
    }
    const violations = await runAxe(page, axeSource);
    return { kind, url, javascript, status, contentType, scripts, violations };
  } finally {
    await page.close();
  }
}

async function main() {
  const { pages, allow } = parseArguments(process.argv.slice(2));
  if (!existsSync(CHROMIUM)) {
    fail(`${CHROMIUM} is missing: run scripts/install-test-deps (Debian's chromium)`);
  }
  const { chromium, axeSource, axeVersion } = await loadDependencies();
  const args = ['--disable-dev-shm-usage', '--disable-gpu'];
  // Chromium's sandbox refuses to start as root.
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  const results = [];
  try {
    const noScript = await browser.newContext({ ...PHONE });
    const withScript = await browser.newContext({ ...PHONE, javaScriptEnabled: true });
    for (const page of pages) {
      let result;
      try {
        result = await check(noScript, axeSource, page, false);
      } catch (error) {
        fail(`${page.url}: ${error.message}`);
      }
      results.push(result);
      // The page loads a script (the static mirror's lookup.js): check it as it is with it too.
      if (result.scripts > 0) {
        try {
          results.push(await check(withScript, axeSource, page, true));
        } catch (error) {
          fail(`${page.url} (with JavaScript): ${error.message}`);
        }
      }
    }
  } finally {
    await browser.close();
  }

  const failures = [];
  const allowed = [];
  for (const result of results) {
    for (const violation of result.violations) {
      if (!FAILING.has(violation.impact)) continue;
      const entry = {
        rule: violation.id,
        impact: violation.impact,
        kind: result.kind,
        url: result.url,
        javascript: result.javascript,
        targets: violation.nodes.map((node) => node.target.join(' ')),
        help: violation.help,
        helpUrl: violation.helpUrl,
      };
      const allowance = allow.find((a) => a.rule === violation.id && a.kind === result.kind);
      if (allowance) {
        allowance.seen = true;
        allowed.push(entry);
      } else {
        failures.push(entry);
      }
    }
  }
  const stale = allow.filter((a) => !a.seen).map(({ rule, kind }) => ({ rule, kind }));
  const report = {
    axe: axeVersion,
    tags: TAGS,
    device: PHONE,
    pages: results,
    failures,
    allowed,
    stale_allowances: stale,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);

  const mode = (entry) => (entry.javascript ? ' (with JavaScript)' : '');
  for (const entry of failures) {
    process.stderr.write(
      `${entry.impact} ${entry.rule} on ${entry.kind} ${entry.url}${mode(entry)}: ` +
        `${entry.targets.join(', ')}: ${entry.help} (${entry.helpUrl})\n`,
    );
  }
  for (const { rule, kind } of stale) {
    process.stderr.write(`allowed ${rule}@${kind} no longer occurs: remove it from the allow-list\n`);
  }
  const checked = results.length;
  process.stderr.write(
    `axe ${axeVersion}: ${checked} page checks, ${failures.length} serious or critical ` +
      `violations, ${allowed.length} allowed\n`,
  );
  process.exit(failures.length > 0 || stale.length > 0 ? 1 : 0);
}

main().catch((error) => fail(error.stack || String(error)));
