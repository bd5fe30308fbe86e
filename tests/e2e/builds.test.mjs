// @ts-check
// The page loads the relaxed-SIMD build where the browser has relaxed SIMD (Chromium does), the
// SIMD build where it has only SIMD (forced here with ?wasm=simd), and the portable build (the same
// code without SIMD instructions) where it has neither (?wasm=portable): every part of the page,
// its workers included, runs the chosen build. The filters are integer arithmetic, the same in
// every build; the models' floats differ in their last bits with fused multiply-add only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, openPage, canvasPixels } from './harness.mjs';

const env = serverAndBrowser();
const wasmFiles = (requests) => requests.filter((u) => u.endsWith('.wasm')).map((u) => new URL(u).pathname);

test('relaxed SIMD where the browser has it, the others on request, with the same pixels', async () => {
  const builds = {};
  for (const [asked, simd, status] of /** @type {[string | null, string, RegExp][]} */ ([[null, 'relaxed', /relaxed SIMD/], ['simd', 'simd128', /with SIMD\)/], ['portable', 'none', /portable/]])) {
    const opened = await openPage(env.browser, `${env.server.url}${asked ? `?wasm=${asked}` : ''}`);
    const build = asked ?? 'relaxed';
    assert.equal(await opened.page.evaluate(() => document.body.dataset.wasm), build);
    // Compiled with what it says (not just loaded from another folder).
    assert.equal(await opened.page.evaluate(() => document.body.dataset.wasmSimd), simd);
    assert.match(await opened.page.textContent('[data-testid="core-status"]'), status);
    builds[build] = opened;
  }
  for (const id of ['filter-original', 'filter-result']) {
    const [a, b, c] = await Promise.all(['relaxed', 'simd', 'portable'].map((k) => canvasPixels(builds[k].page, id)));
    assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)) && Buffer.from(b.data).equals(Buffer.from(c.data)), `${id}: the builds agree`);
  }

  // Training on two workers: the page, the training worker and the replica all load the portable build.
  const { portable } = builds;
  await portable.page.waitForFunction(() => document.getElementById('train').dataset.threads === '2', null, { timeout: 30_000 });
  await portable.page.click('[data-testid="train-start"]');
  await portable.page.waitForFunction(() => Number(document.getElementById('train').dataset.steps ?? 0) >= 20, null, { timeout: 120_000 });
  await portable.page.click('[data-testid="train-pause"]');
  const loaded = wasmFiles(portable.requests);
  assert.ok(loaded.length >= 3, `wasm loads: ${loaded.join(', ')}`);
  assert.ok(loaded.every((p) => /^\/pkg-portable\/cnn_playground_bg\.[0-9a-f]{12}\.wasm$/.test(p)), `wasm loads: ${loaded.join(', ')}`);
  assert.ok(wasmFiles(builds.simd.requests).every((p) => /^\/pkg\/cnn_playground_bg\.[0-9a-f]{12}\.wasm$/.test(p)));
  assert.ok(wasmFiles(builds.relaxed.requests).every((p) => /^\/pkg-relaxed\/cnn_playground_bg\.[0-9a-f]{12}\.wasm$/.test(p)));
  assert.deepEqual(Object.values(builds).flatMap((b) => b.problems), []);
  for (const b of Object.values(builds)) await b.context.close();
});
