// @ts-check
// The GPU device in the page, in a Chromium with WebGPU on (headless, so its adapter is
// SwiftShader's software fallback): offered and named, never chosen by default; chosen, the
// model moves to a worker with the GPU build and trains there; every panel that asks the
// model (a prediction, the layers panel's maps and saliency, computed on the GPU; the model's
// story) sees the GPU's training; back on the CPU, the model comes along and answers the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage } from './harness.mjs';

const env = {};
before(async () => {
  env.server = await startServer();
  env.browser = await launchBrowser(['--enable-unsafe-webgpu']);
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

const panel = (page) => page.evaluate(() => {
  const p = document.getElementById('train');
  return {
    steps: Number(p.dataset.steps ?? 0), state: p.dataset.state, device: p.dataset.device,
    deviceStatus: document.querySelector('[data-testid="device-status"]').textContent,
    threadsStatus: document.querySelector('[data-testid="threads-status"]').textContent,
  };
});

test('the page trains on WebGPU when asked, and the model goes with it to every panel and back', async () => {
  // Batches of 16: SwiftShader's adapter trains a few dozen images a second, and 80 steps give
  // the loss chart its two first points (one per 600 images).
  const { page, context, problems } = await openPage(env.browser, `${env.server.url}#batch=16`);
  // Offered with its name and as what it is; the CPU stays chosen.
  await page.waitForFunction(() => /WebGPU: .*software/.test(document.querySelector('[data-testid="train-device"] option[value="gpu"]').textContent));
  assert.equal(await page.inputValue('[data-testid="train-device"]'), 'cpu');

  await page.selectOption('[data-testid="train-device"]', 'gpu');
  await page.waitForFunction(() => document.getElementById('train').dataset.device === 'gpu', null, { timeout: 60_000 });
  let now = await panel(page);
  assert.match(now.deviceStatus, /Training on the GPU: .*software adapter/);
  await page.waitForFunction(() => /training runs on the GPU/.test(document.querySelector('[data-testid="threads-status"]').textContent));
  assert.match(page.url(), /device=gpu/);

  await page.click('[data-testid="train-start"]');
  await page.waitForFunction(() => Number(document.getElementById('train').dataset.steps ?? 0) >= 80, null, { timeout: 240_000 });
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle', null, { timeout: 60_000 });
  const trained = (await panel(page)).steps;
  const losses = await page.evaluate(() => /** @type {any} the panel, with its charts */ (document.getElementById('train')).charts.loss.series[0].points.map((q) => q[1]));
  assert.ok(losses.length >= 2 && losses.every(Number.isFinite), `the loss chart: ${losses}`);
  assert.ok(losses.at(-1) < losses[0], `the loss fell on the GPU: ${losses[0]} → ${losses.at(-1)}`);

  // A prediction asks the model the GPU trained: its probabilities, not the untrained ones.
  const predict = () => page.evaluate(async () => {
    const pixels = new Float32Array(784);
    for (let i = 0; i < 784; i++) pixels[i] = ((i * 7) % 29) / 29;
    const { probabilities } = await globalThis.playground.request('predict', { pixels });
    return Array.from(probabilities);
  });
  const onGpu = await predict();
  assert.ok(Math.abs(onGpu.reduce((a, b) => a + b) - 1) < 1e-4);
  // What the layers panel draws, computed by the GPU that holds the model.
  const inspect = () => page.evaluate(async () => {
    const pixels = new Float32Array(784);
    // Not periodic: on a repeating pattern two window positions can be equal, and a 2×2 max
    // between equals is decided by rounding (Winograd's convolution rounds each position of its
    // tile its own way), sending the gradient down one path or the other.
    for (let i = 0; i < 784; i++) pixels[i] = ((i * 2654435761) % 4294967296) / 4294967296;
    const seen = await globalThis.playground.request('inspect', { pixels });
    const plain = (t) => ({ name: t.name, shape: Array.from(t.shape), data: Array.from(t.data) });
    return {
      layers: seen.layers.map(plain), kernels: seen.kernels.map(plain),
      saliency: Array.from(seen.saliency), probabilities: Array.from(seen.probabilities),
    };
  });
  const seenOnGpu = await inspect();

  // Back on the CPU: the same model, its story and its predictions.
  await page.selectOption('[data-testid="train-device"]', 'cpu');
  await page.waitForFunction(() => document.getElementById('train').dataset.device === 'cpu', null, { timeout: 60_000 });
  now = await panel(page);
  assert.equal(now.steps, trained, 'the model came back with every step');
  const onCpu = await predict();
  onCpu.forEach((p, i) => assert.ok(Math.abs(p - onGpu[i]) < 1e-5, `class ${i}: ${p} on the CPU, ${onGpu[i]} on the GPU`));
  const seenOnCpu = await inspect();
  const close = (what, a, b) => {
    assert.equal(a.length, b.length, `${what}: lengths`);
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= 1e-4 * (1 + Math.abs(b[i])), `${what}[${i}]: ${x} on the GPU, ${b[i]} on the CPU`));
  };
  close('saliency', seenOnGpu.saliency, seenOnCpu.saliency);
  close('probabilities', seenOnGpu.probabilities, seenOnCpu.probabilities);
  for (const key of ['layers', 'kernels']) {
    assert.deepEqual(seenOnGpu[key].map((t) => `${t.name} ${t.shape}`), seenOnCpu[key].map((t) => `${t.name} ${t.shape}`));
    seenOnGpu[key].forEach((t, i) => close(`${key} ${t.name}`, t.data, seenOnCpu[key][i].data));
  }
  assert.deepEqual(problems, []);
  await context.close();
});
