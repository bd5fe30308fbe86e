// @ts-check
// Full CIFAR-10 in the page: drops a CIFAR-10 binary archive of the real size (60,000 records of
// 3,072 bytes; bench/cifar_sized.py writes one with generated pixels, or give the real one),
// times reading it, trains a few hundred steps, and reports the training worker's wasm memory
// before and after. A measurement, not a test: it prints what it saw and asserts nothing.
//
//   node bench/full-cifar.mjs ARCHIVE [--steps 300]
import { launchBrowser, openPage, startServer } from '../tests/e2e/harness.mjs';

const [archive, ...rest] = process.argv.slice(2);
const steps = rest[0] === '--steps' ? Number(rest[1]) : 300;
if (!archive) throw new Error('usage: node bench/full-cifar.mjs ARCHIVE [--steps 300]');
const MB = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page } = await openPage(browser, server.url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const memory = async () => (await page.evaluate(() => globalThis.playground.request('diagnostics'))).wasmBytes;
  await page.waitForFunction(() => document.getElementById('data').dataset.dataset === 'MNIST');
  const before = await memory();
  const t0 = Date.now();
  await page.setInputFiles('[data-testid="data-files"]', archive);
  await page.waitForFunction(() => /^(Using|.* could not be used)/.test(document.querySelector('[data-testid="data-panel-status"]').textContent), null, { timeout: 600_000 });
  const read = (Date.now() - t0) / 1000;
  const said = await page.textContent('[data-testid="data-panel-status"]');
  const about = await page.textContent('[data-testid="data-about"]');
  const loaded = await memory();
  const t1 = Date.now();
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction((n) => Number(document.getElementById('train').dataset.steps ?? 0) >= n, steps, { timeout: 600_000 });
  const trained = (Date.now() - t1) / 1000;
  const rate = await page.textContent('[data-testid="train-progress-text"]');
  await page.click('[data-testid="train-pause"]');
  const after = await memory();
  console.log(`${said}\n${about}`);
  console.log(`read in ${read.toFixed(1)} s; ${steps} steps in ${trained.toFixed(1)} s (${rate})`);
  console.log(`training worker's wasm memory: ${MB(before)} with MNIST streaming, ${MB(loaded)} with CIFAR-10 read, ${MB(after)} after ${steps} steps`);
} finally {
  await browser.close();
  await server.stop();
}
