// @ts-check
// "Teach it" as a user: three classes named and drawn with the mouse, eight drawings each, taught
// from scratch; new drawings are then read as what they are, and every panel follows the drawn
// dataset. And "that was a 7": a drawing the model misreads, labelled, changes its mind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, openPage } from './harness.mjs';
import { canvasPoints, drawWithMouse, settled, count, trainBriefly, ONE } from './digits.mjs';

const env = serverAndBrowser();
const ready = (page) => page.waitForFunction(() => document.body.dataset.ready === 'true');

/** The strokes of drawing `k` of a class, as fractions of the canvas: each a little moved and sized. */
function strokes(shape, k) {
  const cx = 0.5 + ((k % 3) - 1) * 0.06;
  const cy = 0.5 + ((k % 4) - 1.5) * 0.05;
  const r = 0.22 + (k % 5) * 0.025;
  if (shape === 'circle') {
    return [Array.from({ length: 11 }, (_, i) => [cx + r * Math.cos((i / 10) * 2 * Math.PI), cy + r * Math.sin((i / 10) * 2 * Math.PI)])];
  }
  if (shape === 'cross') return [[[cx - r, cy - r], [cx + r, cy + r]], [[cx + r, cy - r], [cx - r, cy + r]]];
  return [[[cx - r, cy + (k % 2) * 0.04], [cx + r, cy - (k % 2) * 0.04]]];
}

async function draw(page, shape, k) {
  await page.click('[data-testid="draw-clear"]');
  await page.locator('[data-testid="draw-canvas"]').scrollIntoViewIfNeeded();
  for (const stroke of strokes(shape, k)) await drawWithMouse(page, await canvasPoints(page, stroke), 2);
}

/** What the Draw panel reads once its answers have settled. */
async function reading(page, before) {
  await settled(page, 'draw', 'predictions', before);
  return page.textContent('[data-testid="draw-prediction"]');
}

const CLASSES = ['circle', 'cross', 'line'];

test('three classes drawn eight times each are learnt, and new drawings are read right', async () => {
  const { page, problems } = await openPage(env.browser, env.server.url);
  await ready(page);
  await page.click('[data-testid="teach"] summary');
  assert.equal(await page.inputValue('[data-testid="teach-classes"]'), CLASSES.join(', '));
  // Too few drawings: refused in words before anything changes.
  await page.click('[data-testid="teach-scratch"]');
  assert.match(await page.textContent('[data-testid="teach-status"]'), /Draw at least 3 of each class/);
  for (let k = 0; k < 8; k++) {
    for (const [i, shape] of CLASSES.entries()) {
      await draw(page, shape, k);
      await page.click(`[data-testid="teach-add-${i}"]`);
    }
  }
  assert.equal(await count(page, 'draw', 'teachDrawings'), 24);
  assert.match(await page.textContent('[data-testid="teach-add-1"]'), /Add to “cross” \(8\)/);
  await page.click('[data-testid="teach-scratch"]');
  await page.waitForFunction(() => document.getElementById('data').dataset.dataset === 'Your drawings', null, { timeout: 60_000 });
  // Said once the worker answers, which may come after the dataset event every panel hears.
  await page.waitForFunction(() => /held out to test/.test(document.querySelector('[data-testid="teach-status"]')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="teach-status"]'), /525 training images from your drawings; 3 held out to test/);
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'done', null, { timeout: 180_000 });
  // Every panel follows: the classes' bars, the Train panel's report, the Data panel, the URL.
  assert.match(await page.textContent('[data-testid="draw-probs"]'), /circle.*cross.*line/s);
  assert.match(await page.textContent('[data-testid="data-about"]'), /Your drawings.*3 classes/s);
  assert.match(page.url(), /data=Your(\+|%20)drawings/);
  await page.click('[data-testid="train-evaluate"]');
  await page.waitForFunction(() => !/** @type {HTMLElement} */ (document.querySelector('[data-testid="epoch-results"]')).hidden, null, { timeout: 60_000 });
  const heading = await page.$$eval('[data-testid="confusion"] tr:first-child th', (ths) => ths.map((th) => th.textContent));
  assert.deepEqual(heading.slice(1), CLASSES);
  // The drawings are kept for the next visit, with the classes' names.
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => Number(document.getElementById('draw').dataset.teachDrawings) === 24);
  assert.match(await page.textContent('[data-testid="teach-add-2"]'), /Add to “line” \(8\)/);
  await page.waitForFunction(() => document.getElementById('data').dataset.dataset === 'Your drawings', null, { timeout: 60_000 });
  // New drawings, at places and sizes not drawn before.
  for (const k of [9, 10]) {
    for (const shape of CLASSES) {
      const before = await count(page, 'draw', 'predictions');
      await draw(page, shape, k);
      assert.equal(await reading(page, before), shape, `a new ${shape} (${k})`);
    }
  }
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('"that was a 7" changes the model\'s mind about that drawing', async () => {
  const { page, problems } = await openPage(env.browser, env.server.url);
  await ready(page);
  await page.waitForFunction(() => document.getElementById('data').dataset.dataset === 'MNIST', null, { timeout: 60_000 });
  await trainBriefly(page, 200);
  let before = await count(page, 'draw', 'predictions');
  await page.click('[data-testid="draw-clear"]');
  await drawWithMouse(page, await canvasPoints(page, ONE));
  const first = await reading(page, before);
  const truth = first === '7' ? '4' : '7';
  await page.selectOption('[data-testid="draw-truth-select"]', truth);
  before = await count(page, 'draw', 'predictions');
  await page.click('[data-testid="draw-correct"]');
  await page.waitForFunction(() => /^Learnt in \d+ steps?/.test(document.querySelector('[data-testid="draw-status"]').textContent), null, { timeout: 60_000 });
  assert.equal(await reading(page, before), truth, `read as ${first}, corrected to ${truth}`);
  assert.match(await page.textContent('[data-testid="draw-model"]'), /Corrected once by you/);
  assert.deepEqual(problems, []);
  await page.context().close();
});
