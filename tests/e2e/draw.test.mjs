// @ts-check
// The draw panel as a user meets it: the tutorial's example digit and a random test digit shown
// exactly as MNIST has them and read correctly by a briefly trained network, a "1" drawn with the
// mouse and with a finger read as a 1, Clear, and the MNIST preprocessing checked on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serverAndBrowser, openPage, canvasPixels, OUT } from './harness.mjs';
import { trainBriefly, mnistTestImage, canvasPoints, ONE, drawWithMouse, drawWithFinger, settled, count } from './digits.mjs';

const env = serverAndBrowser();

const TUTORIAL_EXAMPLE = 9987; // the tutorial's imgs[3]: the 4th image of its last test batch of 64

/** The prediction as the page shows it: the big digit and the ten bars' values. */
async function prediction(page) {
  return page.evaluate(() => ({
    digit: document.querySelector('[data-testid="draw-prediction"]').textContent,
    label: document.querySelector('[data-testid="draw-label"]').textContent,
    probabilities: Array.from({ length: 10 }, (_, d) => /** @type {HTMLElement} */ (document.querySelector(`[data-testid="draw-prob-${d}"]`)).dataset.value),
  }));
}

/** The red channel of the 28×28 input canvas: what the network was given, ×255. */
async function networkInput(page) {
  const { data } = await canvasPixels(page, 'draw-input');
  return Uint8Array.from({ length: 784 }, (_, i) => data[4 * i]);
}

function assertProbabilities(p, digit) {
  const values = p.probabilities.map(Number);
  values.forEach((v, d) => assert.ok(v >= 0 && v <= 1, `probability of ${d} is ${v}`));
  const sum = values.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, `the ten probabilities sum to ${sum}`);
  assert.equal(p.digit, String(values.indexOf(Math.max(...values))), 'the big digit is the most probable one');
  if (digit !== undefined) assert.equal(p.digit, String(digit), `predicted ${p.digit}, probabilities ${values.map((v) => v.toFixed(3)).join(' ')}`);
}

test('the preprocessing makes a drawing the way MNIST digits were made', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const results = await page.evaluate(async () => {
    const { toMnist, inkBox, centreOfMass } = await import(/** @type {any} */ (new URL('js/mnist-preprocess.js', location.href)));
    const W = 200, H = 160;
    const image = (fill) => {
      const g = new Float32Array(W * H);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) g[y * W + x] = fill(x, y);
      return g;
    };
    const describe = (out) => {
      const box = inkBox(out, 28, 28, 0);
      return { box, com: centreOfMass(out, 28, 28), min: Math.min(...out), max: Math.max(...out), length: out.length };
    };
    return {
      // A 60×60 square in the middle: 20×20, centred.
      square: describe(toMnist(image((x, y) => (x >= 70 && x < 130 && y >= 50 && y < 110 ? 1 : 0)), W, H)),
      // An 80×40 bar in a corner: 20×10 (the shape kept), moved to the centre.
      bar: describe(toMnist(image((x, y) => (x < 80 && y >= 120 ? 1 : 0)), W, H)),
      // A lopsided "L" in grey: its centre of mass, not its box, goes to the centre.
      ell: describe(toMnist(image((x, y) => (x >= 150 && x < 160 && y >= 20 && y < 120) || (y >= 110 && y < 120 && x >= 150 && x < 190) ? 0.6 : 0), W, H)),
      empty: describe(toMnist(new Float32Array(W * H), W, H)),
    };
  });
  for (const name of ['square', 'bar', 'ell']) {
    const r = results[name];
    assert.equal(r.length, 784, name);
    assert.ok(r.min >= 0 && r.max <= 1, `${name}: values in [0,1], got ${r.min}..${r.max}`);
    assert.ok(Math.abs(r.com.x - 14) <= 0.5 + 1e-6 && Math.abs(r.com.y - 14) <= 0.5 + 1e-6, `${name}: centre of mass at (${r.com.x}, ${r.com.y})`);
    const w = r.box.x1 - r.box.x0, h = r.box.y1 - r.box.y0;
    assert.equal(Math.max(w, h), 20, `${name}: the larger side is ${Math.max(w, h)} px`);
  }
  assert.deepEqual(results.square.box, { x0: 5, y0: 5, x1: 25, y1: 25 }, 'the square fills the middle 20×20');
  assert.equal(results.square.max, 1, 'full ink stays 1');
  assert.equal(results.bar.box.y1 - results.bar.box.y0, 10, 'an 80×40 bar becomes 20×10');
  // The L's mass sits low and left of its box's centre, so its box is off-centre.
  assert.ok(results.ell.box.x0 > 4 && results.ell.box.y0 < 5, `the L is placed by its mass: ${JSON.stringify(results.ell.box)}`);
  assert.equal(results.empty.max, 0, 'no ink, no input');
  assert.equal(results.empty.box, null);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a briefly trained network reads the tutorial\'s 4, a test digit, and a "1" drawn by mouse and by finger', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await trainBriefly(page);
  await page.locator('#draw').scrollIntoViewIfNeeded();

  // The tutorial's example: test image 9987 (its imgs[3]), a 4, shown exactly and read as a 4.
  let n = await count(page, 'draw', 'predictions');
  await page.click('[data-testid="draw-example"]');
  await page.waitForFunction((s) => document.getElementById('draw').dataset.source === s, `test:${TUTORIAL_EXAMPLE}`);
  n = await settled(page, 'draw', 'predictions', n);
  let p = await prediction(page);
  assert.equal(p.label, '4', 'the true label of the tutorial\'s example');
  assertProbabilities(p, 4);
  assert.deepEqual(await networkInput(page), Uint8Array.from(mnistTestImage(TUTORIAL_EXAMPLE)), 'the network gets the test image unchanged');
  assert.ok((await canvasPixels(page, 'draw-canvas')).data.some((v, i) => i % 4 === 0 && v > 200), 'the digit is on the drawing canvas');
  await page.locator('#draw').screenshot({ path: path.join(OUT, 'draw.png') });

  // A random test digit: shown as MNIST has it, with its label.
  await page.click('[data-testid="draw-random"]');
  await page.waitForFunction(() => /^test:\d+$/.test(document.getElementById('draw').dataset.source) && document.getElementById('draw').dataset.source !== 'test:9987');
  n = await settled(page, 'draw', 'predictions', n);
  const index = Number((await page.evaluate(() => document.getElementById('draw').dataset.source)).slice(5));
  assert.deepEqual(await networkInput(page), Uint8Array.from(mnistTestImage(index)), `test image ${index}`);
  assert.match((await prediction(page)).label, /^[0-9]$/);
  assertProbabilities(await prediction(page));

  // Clear empties everything.
  await page.click('[data-testid="draw-clear"]');
  await page.waitForFunction(() => document.getElementById('draw').dataset.source === 'empty');
  const blank = await canvasPixels(page, 'draw-canvas');
  assert.ok(blank.data.every((v, i) => (i % 4 === 3 ? v === 255 : v === 0)), 'the cleared canvas is black');
  assert.ok((await networkInput(page)).every((v) => v === 0), 'the network input is empty');
  p = await prediction(page);
  assert.equal(p.digit, '–');
  assert.equal(p.label, '');
  assert.deepEqual(p.probabilities, Array(10).fill(''));

  // A "1" drawn with the mouse, read as it is drawn.
  await drawWithMouse(page, await canvasPoints(page, ONE));
  n = await settled(page, 'draw', 'predictions', n);
  assert.equal(await page.evaluate(() => document.getElementById('draw').dataset.pointer), 'mouse');
  assertProbabilities(await prediction(page), 1);
  const seen = await networkInput(page);
  assert.ok(seen.some((v) => v > 200), 'the stroke reaches the network');

  // And with a finger.
  await page.click('[data-testid="draw-clear"]');
  const cdp = await context.newCDPSession(page);
  await drawWithFinger(page, cdp, await canvasPoints(page, ONE));
  await settled(page, 'draw', 'predictions', n);
  assert.equal(await page.evaluate(() => document.getElementById('draw').dataset.pointer), 'touch');
  assertProbabilities(await prediction(page), 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a phone the draw panel fits the screen and a finger draws', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url, { viewport: { width: 390, height: 844 } });
  await page.locator('#draw').scrollIntoViewIfNeeded();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const box = await page.locator('[data-testid="draw-canvas"]').boundingBox();
  assert.ok(box.width >= 240 && box.x >= 0 && box.x + box.width <= 390, `the canvas fits: ${JSON.stringify(box)}`);
  const cdp = await context.newCDPSession(page);
  const n = await count(page, 'draw', 'predictions');
  await drawWithFinger(page, cdp, await canvasPoints(page, ONE));
  await settled(page, 'draw', 'predictions', n);
  assert.equal(await page.evaluate(() => document.getElementById('draw').dataset.source), 'drawing');
  assert.ok((await networkInput(page)).some((v) => v > 200), 'the stroke reaches the network');
  await page.locator('#draw').screenshot({ path: path.join(OUT, 'draw-phone.png') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a stroke over a test image stays under the pointer: nothing above the canvas moves', async () => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
    const { page, context, problems } = await openPage(env.browser, env.server.url, { viewport });
    const n = await count(page, 'draw', 'predictions');
    await page.click('[data-testid="draw-example"]');
    await settled(page, 'draw', 'predictions', n);
    await page.locator('[data-testid="draw-canvas"]').scrollIntoViewIfNeeded();
    const before = await page.locator('[data-testid="draw-canvas"]').boundingBox();
    const probs = await page.locator('[data-testid="draw-probs"]').boundingBox();
    const [[x0, y0], [x1, y1]] = await canvasPoints(page, [[0.3, 0.3], [0.6, 0.6]]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x1, y1, { steps: 6 });
    // The stroke made the picture a drawing: the status and true label are gone, their room kept.
    await page.waitForFunction(() => document.getElementById('draw').dataset.source === 'drawing');
    assert.deepEqual(await page.locator('[data-testid="draw-canvas"]').boundingBox(), before, `${viewport.width} px wide`);
    assert.deepEqual(await page.locator('[data-testid="draw-probs"]').boundingBox(), probs, 'the bars stay put too');
    await page.mouse.up();
    assert.deepEqual(problems, []);
    await context.close();
  }
});
