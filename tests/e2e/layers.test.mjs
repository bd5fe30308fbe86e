// @ts-check
// The layers panel as a user meets it: the tutorial's show_Features for its imgs[3] with a briefly
// trained network: every stage's feature maps (the right number of them, not blank), the kernels,
// the saliency map, a map enlarged and closed again, and new maps when a new digit is drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serverAndBrowser, openPage, OUT } from './harness.mjs';
import { trainBriefly, canvasPoints, ONE, drawWithMouse, settled, count } from './digits.mjs';

const env = serverAndBrowser();

// The tutorial's network: what each stage holds for one 28×28 digit.
const MAPS = { conv1: [16, 28], relu1: [16, 28], pool1: [16, 14], conv2: [32, 14], relu2: [32, 14], pool2: [32, 7] };
const STRIPS = { flat: 1568, fc1: 128, relu3: 128, fc2: 10 };

/**
 * For each canvas under data-testid `id`: its size, how many distinct colours it has, whether every
 * pixel is painted, and a fingerprint of its pixels (to see that they change).
 */
function canvases(page, id) {
  return page.evaluate((testid) => [.../** @type {NodeListOf<HTMLCanvasElement>} */ (document.querySelectorAll(`[data-testid="${testid}"] canvas, canvas[data-testid="${testid}"]`))].map((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let opaque = 0, hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (d[i + 3] === 255) opaque++;
      hash = (Math.imul(hash, 31) + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    }
    return { width: c.width, height: c.height, colours: colours.size, opaque, pixels: d.length / 4, hash };
  }), id);
}

test('every stage of the tutorial\'s network for its imgs[3], the kernels and the saliency map', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await trainBriefly(page);
  // Pausing sends no event the panel follows: ask for the maps of the trained model via the example.
  const before = await count(page, 'layers', 'renders');
  await page.click('[data-testid="draw-example"]');
  await page.waitForFunction(() => document.getElementById('layers').dataset.source === 'test image 9987');
  await settled(page, 'layers', 'renders', before);
  assert.match(await page.textContent('[data-testid="layers-input-caption"]'), /test image 9987 \(label 4\)/);
  assert.match(await page.textContent('[data-testid="layers-prediction"]'), /^Predicted 4 /);

  for (const [name, [channels, side]] of Object.entries(MAPS)) {
    const maps = await canvases(page, `layer-${name}`);
    assert.equal(maps.length, channels, `${name}: one canvas per feature map`);
    for (const m of maps) {
      assert.deepEqual([m.width, m.height], [side, side], `${name}: ${side}×${side} maps`);
      assert.equal(m.opaque, m.pixels, `${name}: every pixel painted`);
    }
    // A convolution's output always varies over a digit; a ReLU channel may be dead (all zero).
    const varied = maps.filter((m) => m.colours > 1).length;
    const need = name.startsWith('conv') ? channels : Math.ceil(channels / 2);
    assert.ok(varied >= need, `${name}: ${varied} of ${channels} maps show something, want ${need}`);
    const heading = await page.locator(`[data-testid="layer-${name}"]`).locator('xpath=..').locator('h3').textContent();
    assert.equal(heading, `${name} · ${channels}×${side}×${side}`);
  }
  for (const [name, length] of Object.entries(STRIPS)) {
    const [strip, ...more] = await canvases(page, `layer-${name}`);
    assert.equal(more.length, 0, `${name}: one strip`);
    assert.deepEqual([strip.width, strip.height], [length, 1], `${name}: ${length} values`);
    assert.ok(strip.colours > 1, `${name} is not blank`);
  }

  const conv1Kernels = await canvases(page, 'kernels-conv1');
  assert.equal(conv1Kernels.length, 16, 'conv1: 16 kernels');
  conv1Kernels.forEach((k, i) => {
    assert.deepEqual([k.width, k.height], [3, 3]);
    assert.ok(k.colours > 1, `conv1 kernel ${i} is not blank`);
  });
  const [conv2Kernels] = await canvases(page, 'kernels-conv2');
  // 32 rows (output channels) × 16 columns (input channels) of 3×3 tiles, a pixel between tiles.
  assert.deepEqual([conv2Kernels.width, conv2Kernels.height], [16 * 4 - 1, 32 * 4 - 1]);
  assert.ok(conv2Kernels.colours > 100, `conv2's kernels: ${conv2Kernels.colours} colours`);
  const [saliency] = await canvases(page, 'saliency');
  assert.deepEqual([saliency.width, saliency.height], [28, 28]);
  assert.ok(saliency.colours > 20, `the saliency map has ${saliency.colours} colours`);
  await page.locator('#layers').screenshot({ path: path.join(OUT, 'layers.png') });

  // A map enlarged by a click, closed with Escape; then by the keyboard.
  const dialog = page.locator('[data-testid="layers-dialog"]');
  await page.locator('[data-testid="layer-conv1"] canvas').nth(2).click();
  await page.waitForFunction(() => /** @type {HTMLDialogElement} */ (document.querySelector('[data-testid="layers-dialog"]')).open);
  assert.match(await dialog.locator('h3').textContent(), /^conv1 · map 3 of 16 · 28×28$/);
  assert.match(await page.textContent('[data-testid="layers-dialog-range"]'), /^Values from −?[\d.]+(e[−+-]?\d+)? to −?[\d.]+/);
  const [enlarged] = await canvases(page, 'layers-dialog-canvas');
  assert.deepEqual([enlarged.width, enlarged.height], [28, 28]);
  assert.equal(enlarged.hash, (await canvases(page, 'layer-conv1'))[2].hash, 'the dialog shows the map clicked');
  await page.locator('[data-testid="layers-dialog"]').screenshot({ path: path.join(OUT, 'layers-dialog.png') });
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !/** @type {HTMLDialogElement} */ (document.querySelector('[data-testid="layers-dialog"]')).open);
  await page.locator('[data-testid="layer-pool2"] canvas').first().focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /** @type {HTMLDialogElement} */ (document.querySelector('[data-testid="layers-dialog"]')).open);
  assert.match(await dialog.locator('h3').textContent(), /^pool2 · map 2 of 32 · 7×7$/);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !/** @type {HTMLDialogElement} */ (document.querySelector('[data-testid="layers-dialog"]')).open);

  // A digit drawn: the maps follow it.
  const old = { conv1: await canvases(page, 'layer-conv1'), pool2: await canvases(page, 'layer-pool2'), saliency };
  const n = await count(page, 'layers', 'renders');
  await page.click('[data-testid="draw-clear"]');
  await page.locator('[data-testid="draw-canvas"]').scrollIntoViewIfNeeded();
  await drawWithMouse(page, await canvasPoints(page, ONE));
  await page.waitForFunction(() => document.getElementById('layers').dataset.source === 'your drawing');
  await settled(page, 'layers', 'renders', n);
  const now = { conv1: await canvases(page, 'layer-conv1'), pool2: await canvases(page, 'layer-pool2'), saliency: (await canvases(page, 'saliency'))[0] };
  for (const name of ['conv1', 'pool2']) {
    const changed = now[name].filter((m, i) => m.hash !== old[name][i].hash).length;
    assert.ok(changed >= now[name].length / 2, `${name}: ${changed} of ${now[name].length} maps changed`);
  }
  assert.notEqual(now.saliency.hash, old.saliency.hash, 'the saliency map changed');
  assert.match(await page.textContent('[data-testid="layers-prediction"]'), /^Predicted 1 /);
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a phone the layers panel fits the screen; wide grids scroll inside themselves', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url, { viewport: { width: 390, height: 844 } });
  // Untrained, the panel still shows the tutorial's digit as soon as the worker is ready.
  await page.waitForFunction(() => Number(document.getElementById('layers').dataset.renders) >= 1, null, { timeout: 60_000 });
  assert.equal((await canvases(page, 'layer-conv2')).length, 32);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await page.locator('#layers').screenshot({ path: path.join(OUT, 'layers-phone.png') });
  // The dialog fits too.
  await page.locator('[data-testid="saliency"]').click();
  await page.waitForFunction(() => /** @type {HTMLDialogElement} */ (document.querySelector('[data-testid="layers-dialog"]')).open);
  const box = await page.locator('[data-testid="layers-dialog"]').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390, `the dialog fits: ${JSON.stringify(box)}`);
  await page.keyboard.press('Escape');
  assert.deepEqual(problems, []);
  await context.close();
});
