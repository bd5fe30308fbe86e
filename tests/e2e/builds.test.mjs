// The page loads the wasm SIMD build where the browser has SIMD, and the portable build (the same
// code without SIMD instructions) where it has not, here forced with ?wasm=portable: every part
// of the page, its workers included, runs the chosen build, with the same results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, openPage, canvasPixels } from './harness.mjs';

const env = serverAndBrowser();
const wasmFiles = (requests) => requests.filter((u) => u.endsWith('.wasm')).map((u) => new URL(u).pathname);

test('SIMD where the browser has it, the portable build on request, with the same pixels', async () => {
  const simd = await openPage(env.browser, env.server.url);
  assert.equal(await simd.page.evaluate(() => document.body.dataset.wasm), 'simd');
  assert.equal(await simd.page.evaluate(() => document.body.dataset.wasmSimd), 'true');
  assert.match(await simd.page.textContent('[data-testid="core-status"]'), /with SIMD/);
  const portable = await openPage(env.browser, `${env.server.url}?wasm=portable`);
  assert.equal(await portable.page.evaluate(() => document.body.dataset.wasm), 'portable');
  // Compiled without simd128 (not just loaded from another folder).
  assert.equal(await portable.page.evaluate(() => document.body.dataset.wasmSimd), 'false');
  assert.match(await portable.page.textContent('[data-testid="core-status"]'), /portable/);
  for (const id of ['filter-original', 'filter-result']) {
    const [a, b] = [await canvasPixels(simd.page, id), await canvasPixels(portable.page, id)];
    assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), `${id}: the builds agree`);
  }

  // Training on two workers: the page, the training worker and the replica all load the portable build.
  await portable.page.waitForFunction(() => document.getElementById('train').dataset.threads === '2', null, { timeout: 30_000 });
  await portable.page.click('[data-testid="train-start"]');
  await portable.page.waitForFunction(() => Number(document.getElementById('train').dataset.steps ?? 0) >= 20, null, { timeout: 120_000 });
  await portable.page.click('[data-testid="train-pause"]');
  const loaded = wasmFiles(portable.requests);
  assert.ok(loaded.length >= 3, `wasm loads: ${loaded.join(', ')}`);
  assert.ok(loaded.every((p) => /^\/pkg-portable\/cnn_playground_bg\.[0-9a-f]{12}\.wasm$/.test(p)), `wasm loads: ${loaded.join(', ')}`);
  assert.ok(wasmFiles(simd.requests).every((p) => /^\/pkg\/cnn_playground_bg\.[0-9a-f]{12}\.wasm$/.test(p)));
  assert.deepEqual([...simd.problems, ...portable.problems], []);
  await simd.context.close();
  await portable.context.close();
});
