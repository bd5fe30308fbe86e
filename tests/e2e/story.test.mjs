// @ts-check
// One model, one truth: whatever replaces the model, every panel shows the new one and says where
// it came from; any model can be measured on the test set, with the accuracy the CLI's `eval`
// gives for the same file; and a model keeps its story (curves, epochs, scores) through a
// download, an upload and a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { serverAndBrowser, openPage, ROOT, OUT } from './harness.mjs';
import { settled, count } from './digits.mjs';
import { upload, evaluate } from './model.mjs';

const env = serverAndBrowser();
const BIN = path.join(ROOT, 'target/release/cnn-playground');
const PYTORCH = path.join(ROOT, 'tests/fixtures/seed_cnn_init.safetensors');

/** `cnn-playground eval`'s count of correct test images for a checkpoint. */
function cliCorrect(file) {
  const out = execFileSync(BIN, ['eval', '--weights', file], { cwd: ROOT }).toString();
  const m = out.match(/test accuracy: ([\d.]+)% \((\d+)\/10000\)/);
  assert.ok(m, out);
  return { percent: m[1], correct: Number(m[2]) };
}

/** What each panel says about the current model. */
const stories = (page) => page.evaluate(() => Object.fromEntries(['train', 'draw', 'layers', 'model']
  .map((p) => [p, document.querySelector(`[data-testid="${p}-model"], [data-testid="${p}-story"]`).textContent])));

const chart = (page) => page.evaluate(() => {
  const { loss, accuracy } = /** @type {any} the panel, with its charts */ (document.getElementById('train')).charts;
  return { train: loss.count(0), test: loss.count(1), ticks: accuracy.ticks(), lossTicks: loss.ticks() };
});

test('an uploaded PyTorch model reaches every panel, and Evaluate gives the CLI\'s accuracy', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  for (const [panel, story] of Object.entries(await stories(page))) {
    assert.match(story, /^Untrained: random weights \(seed 0\)\./, panel);
  }
  assert.ok(await page.isVisible('[data-testid="draw-untrained"]'));
  // A model trained here a little and measured: its curves and report are on the page.
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction(() => Number(document.getElementById('train').dataset.steps) >= 40, null, { timeout: 60_000 });
  await page.click('[data-testid="train-pause"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'paused');
  await evaluate(page);
  assert.ok((await chart(page)).train > 0 && await page.isVisible('[data-testid="epoch-results"]'));
  assert.match((await stories(page)).layers, /^Trained here: 0\.\d+ epochs in .*, test accuracy \d/);
  // The tutorial's example in the Draw panel, and the Layers panel following it.
  const drawn = await count(page, 'draw', 'predictions');
  await page.click('[data-testid="draw-example"]');
  await settled(page, 'draw', 'predictions', drawn);
  await page.waitForFunction(() => /test image 9987/.test(document.getElementById('layers').dataset.source ?? ''));
  // A setting changed before the upload must not make Start throw the uploaded model away.
  await page.fill('[data-testid="train-lr"]', '0.0005');
  await page.dispatchEvent('[data-testid="train-lr"]', 'change');

  const predictions = await count(page, 'draw', 'predictions');
  const renders = await count(page, 'layers', 'renders');
  assert.match(await upload(page, PYTORCH), /Loaded "seed_cnn_init.safetensors": 206,922 parameters/);
  for (const [panel, story] of Object.entries(await stories(page))) {
    assert.match(story, /^Uploaded seed_cnn_init\.safetensors: no training history in the file\./, panel);
  }
  // Draw and Layers redraw from the new model, and agree with each other.
  await settled(page, 'draw', 'predictions', predictions);
  await settled(page, 'layers', 'renders', renders);
  assert.ok(await page.isHidden('[data-testid="draw-untrained"]'), 'no "not trained yet" beside an uploaded model');
  const digit = await page.textContent('[data-testid="draw-prediction"]');
  const sure = (await page.textContent('[data-testid="draw-confidence"]')).replace(' sure', '');
  assert.equal(await page.textContent('[data-testid="layers-prediction"]'), `Predicted ${digit} (${sure})`);
  // The train panel: the old model's curves and report are gone (PyTorch's file has no curves),
  // and Start goes on with this model.
  assert.equal((await chart(page)).train, 0);
  assert.ok(await page.isHidden('[data-testid="epoch-results"]'), 'no report of the old model');
  assert.equal(await page.getAttribute('#train', 'data-state'), 'idle');
  assert.equal(await page.getAttribute('#train', 'data-plan'), 'continue');
  assert.match(await page.textContent('[data-testid="train-plan"]'), /Start trains the current model 5 epochs more/);

  // Evaluate: the same count of correct test images as the CLI, and the story says it.
  const cli = cliCorrect(PYTORCH);
  assert.equal(await evaluate(page), cli.correct);
  assert.match(await page.textContent('[data-testid="test-accuracy"]'), new RegExp(`The current model: test accuracy ${cli.percent}%`));
  assert.equal((await stories(page)).draw, `Uploaded seed_cnn_init.safetensors: no training history in the file, test accuracy ${cli.percent}%.`);
  assert.equal(await page.locator('[data-testid="confusion"] tr').count(), 11);
  // The misclassified digits look like every other digit here: white ink on black.
  await page.waitForSelector('[data-testid="misclassified"] canvas');
  const corner = await page.evaluate(() => Array.from(/** @type {HTMLCanvasElement} */ (document.querySelector('[data-testid="misclassified"] canvas'))
    .getContext('2d').getImageData(0, 0, 1, 1).data));
  assert.deepEqual(corner, [0, 0, 0, 255], 'a corner of the first digit is black');

  // Start trains the uploaded model further, with the settings the form shows.
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction(() => Number(document.getElementById('train').dataset.steps) >= 30, null, { timeout: 60_000 });
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle');
  assert.match((await stories(page)).layers, /^Uploaded seed_cnn_init\.safetensors: trained [\d.]+ epochs? in /);

  // Reset: every panel says so, and the Draw panel warns again.
  const resetRenders = await count(page, 'layers', 'renders');
  await page.click('[data-testid="train-reset"]');
  await page.waitForFunction(() => /^Untrained/.test(document.querySelector('[data-testid="layers-model"]').textContent));
  for (const [panel, story] of Object.entries(await stories(page))) assert.match(story, /^Untrained: random weights/, panel);
  assert.ok(await page.isVisible('[data-testid="draw-untrained"]'));
  assert.equal((await chart(page)).train, 0);
  await settled(page, 'layers', 'renders', resetRenders);

  // Another network: Start makes it, and the Layers panel shows its batch norm layers.
  await page.selectOption('[data-testid="train-recipe"]', 'improved');
  assert.equal(await page.getAttribute('#train', 'data-plan'), 'new');
  await page.click('[data-testid="train-start"]');
  await page.waitForSelector('[data-testid="layer-bn1"]', { timeout: 60_000 });
  await page.waitForFunction(() => Number(document.getElementById('train').dataset.steps) >= 10, null, { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="model-summary"]'), /conv1 → bn1 → relu1/);
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle');
  for (const [panel, story] of Object.entries(await stories(page))) assert.match(story, /^Trained here: /, panel);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a model keeps its story: a CLI-trained file brings its curves, and a reload brings them back', async () => {
  const file = path.join(OUT, 'cli-trained.safetensors');
  const log = execFileSync(BIN, ['train', '--epochs', '1', '--limit', '1280', '--out', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const trained = log.match(/epoch 1: .* test accuracy ([\d.]+)% \((\d+)\/10000\)/);
  assert.ok(trained, log);

  const { page, context, problems } = await openPage(env.browser, env.server.url);
  assert.match(await upload(page, file), /Loaded "cli-trained.safetensors"/);
  const story = new RegExp(`^Uploaded cli-trained\\.safetensors: trained 1 epoch in (\\d+ s|under a second) on MNIST, test accuracy ${trained[1]}%\\.$`);
  assert.match((await stories(page)).train, story);
  // 1,280 images in batches of 64: 20 steps, each closing a point of the curve; one test score.
  const shown = await chart(page);
  assert.deepEqual([shown.train, shown.test], [20, 1]);
  // Readable ticks: round numbers on both axes, percentages on the accuracy chart.
  assert.ok(shown.ticks.y.length >= 3 && shown.ticks.y.every((t) => /^\d+(\.\d)?%$/.test(t)), shown.ticks.y.join(' '));
  const step = Number(shown.ticks.y[1].slice(0, -1)) - Number(shown.ticks.y[0].slice(0, -1));
  assert.ok([1, 2, 5, 10, 20, 25, 50].some((s) => Math.abs(step - s) < 1e-9) || [0.5, 0.2, 0.1].some((s) => Math.abs(step - s) < 1e-9), `tick step ${step}`);
  assert.deepEqual([shown.ticks.x[0], shown.ticks.x.at(-1)], ['0', '1'], shown.ticks.x.join(' '));
  assert.ok(shown.lossTicks.y.length >= 3);
  assert.equal(await evaluate(page), Number(trained[2]), 'the page measures what the CLI measured');

  // Trained further here, stopped, reloaded: the whole story comes back.
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction(() => Number(document.getElementById('train').dataset.steps) >= 60, null, { timeout: 60_000 });
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle');
  const before = await chart(page);
  assert.ok(before.train > 20, `${before.train} points after more training`);
  const told = (await stories(page)).model;
  await page.locator('#train').screenshot({ path: path.join(OUT, 'story-before-reload.png') });
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(() => /Restored the model/.test(document.querySelector('[data-testid="train-status"]').textContent));
  const after = await chart(page);
  assert.deepEqual([after.train, after.test], [before.train, before.test]);
  assert.ok((await stories(page)).model.startsWith(told.split(' Restored')[0]), 'the same story, restored');
  assert.match((await stories(page)).model, /Restored from this browser/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('files that are not models are refused in plain words, with the detail kept', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const good = fs.readFileSync(PYTORCH);
  /** @type {[Buffer, string, RegExp][]} */
  const cases = [
    [Buffer.from('my notes about convolutions\n'), 'notes.txt', /This is a text file, not a model\. Models are \.safetensors files/],
    [good.subarray(0, good.length / 2), 'half.safetensors', /This safetensors file is cut short: its tensors need \d+ bytes, but it holds \d+\. The download or copy was probably interrupted/],
    [fs.readFileSync(path.join(ROOT, 'www/favicon.svg')), 'favicon.svg', /This is a text file, not a model/],
  ];
  for (const [buffer, name, message] of cases) {
    const status = await upload(page, { name, mimeType: 'application/octet-stream', buffer });
    assert.match(status, message, name);
    assert.match(status, /The current model is unchanged\.$/);
    assert.ok(await page.isVisible('[data-testid="model-detail"]'), 'the parser\'s words are one click away');
    assert.notEqual((await page.textContent('[data-testid="model-detail"] pre')).trim(), '');
  }
  assert.match((await stories(page)).model, /^Untrained/, 'nothing was replaced');
  assert.deepEqual(problems, []);
  await context.close();
});
