// @ts-check
// Saving and loading the model: a downloaded file, uploaded again, gives the same predictions; a
// PyTorch state_dict loads; a corrupt or mismatched file is refused with a message naming what
// is wrong, and the page keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serverAndBrowser, openPage, ROOT } from './harness.mjs';
import { trainBriefly, settled, count } from './digits.mjs';
import { upload } from './model.mjs';

const env = serverAndBrowser();

const probabilities = (page) => page.evaluate(() =>
  Array.from({ length: 10 }, (_, d) => Number(/** @type {HTMLElement} */ (document.querySelector(`[data-testid="draw-prob-${d}"]`)).dataset.value)));

/** Shows the tutorial's example digit and waits for its (new) prediction. */
async function predictExample(page) {
  const before = await count(page, 'draw', 'predictions');
  await page.click('[data-testid="draw-example"]');
  await settled(page, 'draw', 'predictions', before);
  return probabilities(page);
}

test('a downloaded model, uploaded again, predicts exactly as before', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await trainBriefly(page, 200);
  const trained = await predictExample(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="model-download"]')]);
  assert.equal(download.suggestedFilename(), 'cnn-playground-model.safetensors');
  const bytes = fs.readFileSync(await download.path());
  // A safetensors file: 8-byte header length, then JSON naming PyTorch's tensors.
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
  assert.deepEqual(header['fc1.weight'].shape, [128, 1568]);
  assert.equal(header['conv1.weight'].dtype, 'F32');

  await page.click('[data-testid="train-reset"]');
  const fresh = await predictExample(page);
  assert.notDeepEqual(fresh, trained, 'a reset model predicts differently');

  const status = await upload(page, { name: 'mine.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
  assert.match(status, /Loaded "mine.safetensors": 206,922 parameters/);
  assert.deepEqual(await predictExample(page), trained);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a PyTorch state_dict loads; corrupt and mismatched files are refused and change nothing", async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const before = await predictExample(page);
  /** @type {[{name: string, mimeType: string, buffer: Buffer}, RegExp][]} */
  const cases = [
    [{ name: 'junk.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all, clearly') }, /not loaded\. This is a text file, not a model\./],
    [{ name: 'empty.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.alloc(0) }, /is empty/],
  ];
  // A safetensors file whose fc1 is the wrong shape.
  const wrong = Buffer.from(JSON.stringify({ 'fc1.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(wrong.length));
  cases.push([{ name: 'wrong.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.concat([len, wrong, Buffer.alloc(16)]) }, /not loaded\. This file holds the weights of a different network: it has no 'conv1.weight'/]);
  for (const [file, message] of cases) {
    assert.match(await upload(page, file), message, file.name);
    assert.deepEqual(await predictExample(page), before, `${file.name} left the model as it was`);
  }
  const pytorch = fs.readFileSync(path.join(ROOT, 'tests/fixtures/seed_cnn_init.safetensors'));
  assert.match(await upload(page, { name: 'pytorch.safetensors', mimeType: 'application/octet-stream', buffer: pytorch }), /Loaded "pytorch.safetensors": 206,922 parameters/);
  assert.match(await page.textContent('[data-testid="model-summary"]'), /conv1 → relu1 → pool1/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a crashed worker is reported, and a restart brings the saved model back', async () => {
  const { page, context } = await openPage(env.browser, env.server.url);
  await trainBriefly(page, 100);
  await page.click('[data-testid="train-stop"]'); // stopping saves the model in the browser
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle');
  const trained = await predictExample(page);
  // Training again when the worker dies (an uncaught error, as an out-of-memory abort would be).
  const steps = Number(await page.getAttribute('#train', 'data-steps'));
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction((n) => Number(document.getElementById('train').dataset.steps) >= n + 20, steps);
  const [worker] = page.workers();
  await worker.evaluate(() => { setTimeout(() => { throw new Error('simulated crash'); }); });
  await page.waitForSelector('[data-testid="worker-crash"]:not([hidden])');
  assert.match(await page.textContent('[data-testid="worker-crash-message"]'), /training worker stopped.*saved model is safe/);
  assert.ok(await page.isDisabled('[data-testid="train-start"]'), 'nothing starts without a worker');
  await page.click('[data-testid="worker-restart"]');
  await page.waitForFunction(() => /Restored the model/.test(document.querySelector('[data-testid="train-status"]').textContent));
  assert.deepEqual(await predictExample(page), trained);
  // The panel knows nothing runs now: Start is there, Pause is not.
  assert.equal(await page.getAttribute('#train', 'data-state'), 'idle');
  assert.ok(await page.isEnabled('[data-testid="train-start"]') && await page.isDisabled('[data-testid="train-pause"]'));
  await context.close();
});
