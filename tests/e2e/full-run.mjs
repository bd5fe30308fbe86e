// @ts-check
// A whole training run in the page, as a user would start it: `node tests/e2e/full-run.mjs
// [tutorial|fast|improved] [--screenshots]`. Prints each epoch's test accuracy and the wall time;
// with --screenshots, also photographs every panel into docs/ for the README. Minutes long, so
// it is not part of scripts/test.sh.
import path from 'node:path';
import { startServer, launchBrowser, openPage, ROOT } from './harness.mjs';

const recipe = process.argv[2] ?? 'tutorial';
const screenshots = process.argv.includes('--screenshots');
const server = await startServer();
const browser = await launchBrowser();
try {
  const { page, problems } = await openPage(browser, `${server.url}#recipe=${recipe}`);
  const started = Date.now();
  await page.click('[data-testid="train-start"]');
  let lastEpoch = 0;
  for (;;) {
    const s = await page.evaluate(() => {
      const p = /** @type {any} the panel, with its charts */ (document.getElementById('train'));
      return { state: p.dataset.state, epochs: p.charts.accuracy.series[1].points, text: document.querySelector('[data-testid="train-progress-text"]').textContent, status: document.querySelector('[data-testid="train-status"]').textContent };
    });
    for (const [epoch, accuracy] of s.epochs.slice(lastEpoch)) {
      console.log(`epoch ${epoch}: test accuracy ${(100 * accuracy).toFixed(2)}% after ${((Date.now() - started) / 1000).toFixed(0)} s  (${s.text})`);
    }
    lastEpoch = s.epochs.length;
    if (s.state === 'done') break;
    if (/error|diverged/i.test(s.status) && s.state !== 'training') throw new Error(s.status);
    await page.waitForTimeout(1000);
  }
  console.log(`recipe ${recipe}: ${lastEpoch} epochs in ${((Date.now() - started) / 1000).toFixed(0)} s wall time`);
  if (screenshots) {
    await page.click('[data-testid="draw-example"]');
    await page.waitForTimeout(1500);
    for (const id of ['filters', 'explainer', 'train', 'draw', 'layers', 'model']) {
      await page.locator(`#${id}`).screenshot({ path: path.join(ROOT, `docs/panel-${id}.png`) });
    }
    console.log('screenshots written to docs/panel-*.png');
  }
  if (problems.length) throw new Error(problems.join('\n'));
} finally {
  await browser.close();
  await server.stop();
}
