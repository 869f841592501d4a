// Opens each page URL given in headless Chromium, waits until every section of the page has
// finished (its data-state leaves "reading"), and prints one JSON object on stdout:
//   {"browser": VERSION, "pages": [{"url", SECTION_ID: {"state","text","error"}, ..., "fetchReads": N, "fetchReadTimes": "ms,ms,...", "problems": [...]}]}
// with one entry per section, by its id: index.html's "eventsource" and "fetch", streams.html's
// "streams". fetchReads is how many reads brought index.html's fetch reader its bytes,
// fetchReadTimes when each came (ms after the head); "problems" holds the page's uncaught
// exceptions and console errors. Exits 0 when it printed, 2 on a usage or launch failure, 3 when
// the deadline passed; it never outlives the deadline.
//
//   node drive.mjs [--timeout SECONDS] [--ignore-certificate-errors] URL...
//
// --ignore-certificate-errors launches Chromium with that flag, for a relay serving a self-signed
// certificate (sluice relay --tls-self-signed): only for such pages.
//
// The browser is Debian's Chromium (SLUICE_CHROMIUM overrides /usr/bin/chromium), driven by
// playwright-core, which downloads no browser of its own.
import {chromium} from 'playwright-core';

const args = process.argv.slice(2);
let seconds = 60;
const extraArgs = [];
for (;;) {
  if (args[0] === '--timeout') {
    seconds = Number(args[1]);
    args.splice(0, 2);
  } else if (args[0] === '--ignore-certificate-errors') {
    extraArgs.push(args.shift());
  } else {
    break;
  }
}
if (args.length === 0 || !(seconds > 0)) {
  console.error('usage: node drive.mjs [--timeout SECONDS] [--ignore-certificate-errors] URL...');
  process.exit(2);
}
const deadline = setTimeout(() => {
  console.error(`drive.mjs: not done after ${seconds} s`);
  process.exit(3);
}, seconds * 1000);
deadline.unref();

let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.SLUICE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Playwright gives each launch a new empty profile (--user-data-dir) and removes it after.
    // Without the background-networking flags Chromium dials out at start, and a closed network
    // refuses it; the test needs loopback only.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
    timeout: seconds * 1000,
  });
} catch (e) {
  console.error(`drive.mjs: cannot launch Chromium: ${e.message}`);
  process.exit(2);
}

const pages = [];
try {
  for (const url of args) {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', e => problems.push(`uncaught: ${e.message}`));
    page.on('console', m => {
      if (m.type() === 'error') {
        problems.push(`console: ${m.text()}`);
      }
    });
    await page.goto(url);
    await page.waitForFunction(
      () => [...document.querySelectorAll('section')].every(s => s.dataset.state !== 'reading'),
      null, {timeout: seconds * 1000});
    const readers = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('section')].map(s => [s.id, {
      state: s.dataset.state,
      text: s.querySelector('.text').textContent,
      error: s.querySelector('.error').textContent,
    }])));
    const fetchReads = await page.evaluate(() => Number(document.getElementById('fetch')?.dataset.reads ?? 0));
    const fetchReadTimes = await page.evaluate(() => document.getElementById('fetch')?.dataset.readTimes ?? '');
    pages.push({url, ...readers, fetchReads, fetchReadTimes, problems});
    await page.close();
  }
  process.stdout.write(JSON.stringify({browser: browser.version(), pages}) + '\n');
} finally {
  await browser.close();
}
