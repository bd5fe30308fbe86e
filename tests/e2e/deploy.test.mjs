// @ts-check
// The built site (dist/, scripts/build-site.sh) as a user meets it on an ordinary static host:
// served by a plain server that sends no special headers, the page isolates itself through its
// service worker and trains on two workers; a second visit transfers next to nothing and starts
// training from the browser's copy of MNIST; with the network off it still loads, trains and
// filters; and a new deployment is picked up on the next load, never mixed with the old one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, ROOT, staticServer } from './harness.mjs';

let site;
let server;
let browser;
let url;
before(async () => {
  // A copy of the built site, so that a test can deploy a new build into it.
  site = fs.mkdtempSync(path.join(os.tmpdir(), 'site-'));
  fs.cpSync(path.join(ROOT, 'dist'), site, { recursive: true });
  server = await staticServer(site);
  url = `http://127.0.0.1:${server.address().port}/`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.close();
  fs.rmSync(site, { recursive: true, force: true });
});

/** Opens the page in `context` and waits for it to be ready; collects the page's problems. */
async function open(context, problems) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return page;
}

const mnistLoaded = (page) => page.waitForFunction(() => /MNIST loaded: 60,000 training and 10,000 test images/
  .test(document.querySelector('[data-testid="data-status"]').textContent), null, { timeout: 120_000 });

async function trainSteps(page, steps) {
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction((n) => Number(document.getElementById('train').dataset.steps ?? 0) >= n, steps, { timeout: 120_000 });
  await page.click('[data-testid="train-pause"]');
}

test('on a static host without headers the page isolates itself, trains on two workers, is installable, and a second visit transfers almost nothing', async () => {
  const context = await browser.newContext();
  const problems = [];
  server.sent = 0;
  const first = await open(context, problems);
  assert.equal(await first.evaluate(() => crossOriginIsolated), true, 'isolated by the service worker');
  await first.waitForFunction(() => document.getElementById('train').dataset.threads === '2', null, { timeout: 30_000 });
  await mnistLoaded(first);
  await first.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated');
  await trainSteps(first, 20);
  // Installable as an app: Chromium finds nothing missing (manifest, icons, service worker)
  // but that a test's browser context is incognito, where nothing installs.
  const cdp = await context.newCDPSession(first);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors.filter((e) => e.errorId !== 'in-incognito'), []);
  const firstVisit = server.sent;
  assert.deepEqual(server.paths.filter((p) => /\/\./.test(p)), [], 'no dotfile is asked for (a host may refuse them)');
  await first.close();

  server.sent = 0;
  const start = Date.now();
  const second = await open(context, problems);
  await second.click('[data-testid="train-start"]');
  await second.waitForFunction(() => Number(document.getElementById('train').dataset.steps ?? 0) >= 1, null, { timeout: 60_000 });
  const firstStep = Date.now() - start;
  await mnistLoaded(second);
  await second.click('[data-testid="train-pause"]');
  assert.match(await second.textContent('[data-testid="data-status"]'), /from this browser's copy: no download/);
  const secondVisit = server.sent;
  console.log(`bytes sent: first visit ${(firstVisit / 1e6).toFixed(2)} MB, second visit ${(secondVisit / 1e3).toFixed(1)} KB; `
    + `second visit, page load to the first training step: ${firstStep} ms`);
  assert.ok(firstVisit <= 15e6, `first visit: ${firstVisit} bytes`);
  assert.ok(secondVisit <= 100e3, `second visit: ${secondVisit} bytes`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('offline after one visit: the page loads, MNIST comes from the cache, training runs, a photo is filtered and a digit predicted', async () => {
  const context = await browser.newContext();
  const problems = [];
  const page = await open(context, problems);
  await mnistLoaded(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated');
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await mnistLoaded(page);
  assert.equal(await page.getAttribute('#train', 'data-train-source'), 'cache');
  await trainSteps(page, 40);
  // The filter lab on an uploaded photo (a PNG made here).
  await page.setInputFiles('[data-testid="filter-upload"]', path.join(ROOT, 'dist/icons/icon-192.png'));
  await page.waitForFunction(() => document.getElementById('filters').dataset.filtered === 'mean:192x192', null, { timeout: 30_000 });
  // And the Draw panel predicts.
  const predictions = Number(await page.getAttribute('#draw', 'data-predictions') ?? 0);
  await page.click('[data-testid="draw-example"]');
  await page.waitForFunction((n) => Number(document.getElementById('draw').dataset.predictions ?? 0) > n, predictions);
  // The failed update check is handled: nothing is reported as an error.
  assert.deepEqual(problems.filter((p) => !/Failed to update a ServiceWorker|ERR_INTERNET_DISCONNECTED/.test(p)), []);
  await context.close();
});

test('a new deployment in the same folder is picked up on the next load, and the old build is gone', async () => {
  const context = await browser.newContext();
  const problems = [];
  const page = await open(context, problems);
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated');
  const oldCaches = await page.evaluate(() => caches.keys());
  // Deploy: a changed page and script, and the service worker of the new build.
  const main = path.join(site, 'js/main.js');
  fs.writeFileSync(main, `${fs.readFileSync(main, 'utf8')}\ndocument.body.dataset.deployed = 'two';\n`);
  const index = path.join(site, 'index.html');
  fs.writeFileSync(index, fs.readFileSync(index, 'utf8').replace('<title>', '<meta name="deployed" content="two">\n  <title>'));
  const sw = path.join(site, 'sw.js');
  fs.writeFileSync(sw, fs.readFileSync(sw, 'utf8').replace(/"version":"([0-9a-f]+)"/, '"version":"$1-two"'));

  await page.reload();
  await page.waitForFunction(() => document.body.dataset.deployed === 'two', null, { timeout: 60_000 });
  await page.waitForSelector('body[data-ready="true"]');
  // The new page with the new script: never one without the other.
  assert.equal(await page.evaluate(() => /** @type {HTMLMetaElement} */ (document.querySelector('meta[name="deployed"]'))?.content), 'two');
  const caches = await page.evaluate(() => caches.keys());
  assert.ok(caches.some((k) => k.endsWith('-two')), `the new build's cache: ${caches}`);
  for (const old of oldCaches.filter((k) => k.startsWith('cnn-playground-build-'))) {
    assert.ok(!caches.includes(old), `the old build's cache ${old} is deleted`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('a download the server cuts half-way is explained, is not kept, and Retry completes it', async () => {
  const context = await browser.newContext();
  const problems = [];
  server.cut = /train-images/;
  const page = await open(context, problems);
  await page.waitForSelector('[data-testid="data-retry"]:not([hidden])', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="data-status"]'), /The MNIST training images could not be downloaded \(the download ended after [\d,]+ of 60,000 images\)\. What arrived is kept/);
  server.cut = null;
  await page.click('[data-testid="data-retry"]');
  await mnistLoaded(page);
  assert.equal(await page.getAttribute('#train', 'data-train-source'), 'network', 'the cut download was not kept');
  assert.deepEqual(problems.filter((p) => !/ERR_|Failed to load resource/.test(p)), []);
  await context.close();
});
