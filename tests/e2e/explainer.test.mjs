// @ts-check
// The convolution explainer as a user meets it: the tutorial's three animations must show
// PyTorch's outputs (read from the fixture file, not copied), the formula must add up to the
// highlighted cell, edits must change the output to the right value, impossible sizes must be
// explained, and play/pause must start and stop the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serverAndBrowser, openPage, ROOT, OUT } from './harness.mjs';

const TICK_MS = 900; // the panel's play speed

const env = serverAndBrowser();

/** The F32 tensors of a safetensors file: u64 LE header length, JSON header, LE data. */
function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const tensors = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__' || entry.dtype !== 'F32') continue; // the stamp of scripts/fixtures.py
    const { shape, data_offsets: [a, b] } = entry;
    const bytes = buf.subarray(8 + n + a, 8 + n + b);
    tensors[name] = { shape, data: Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(4 * i)) };
  }
  return tensors;
}

const fixture = readSafetensors(path.join(ROOT, 'tests/fixtures/conv_cases.safetensors'));
const SETTINGS = { anim1: { stride: 1, padding: 0 }, anim2: { stride: 1, padding: 0 }, anim3: { stride: 2, padding: 1 } };

/** F.conv2d for one image and one output channel, written independently of the page and the core:
 * x (C,H,W), w (C,K,K), f32 sums. */
function conv2d(x, [C, H, W], w, K, bias, stride, padding) {
  const oh = Math.floor((H + 2 * padding - K) / stride) + 1;
  const ow = Math.floor((W + 2 * padding - K) / stride) + 1;
  const y = [];
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      let s = Math.fround(bias ?? 0);
      for (let c = 0; c < C; c++) {
        for (let k = 0; k < K; k++) {
          for (let l = 0; l < K; l++) {
            const r = i * stride + k - padding;
            const q = j * stride + l - padding;
            if (r >= 0 && r < H && q >= 0 && q < W) s = Math.fround(s + Math.fround(x[(c * H + r) * W + q] * w[(c * K + k) * K + l]));
          }
        }
      }
      y.push(s);
    }
  }
  return { oh, ow, data: y };
}

const num = (text) => Number(text.trim().replaceAll('−', '-'));

/** The output grid as { rows, cols, values }, checking that each cell's text shows its value. */
async function outputGrid(page) {
  const cells = await page.$$eval('[data-testid="explainer-output"] [data-testid^="explainer-out-"]',
    (els) => els.map((e) => ({ id: e.getAttribute('data-testid'), value: e.dataset.value, text: e.textContent })));
  let rows = 0, cols = 0;
  for (const { id, value, text } of cells) {
    const [r, c] = id.split('-').slice(2).map(Number);
    rows = Math.max(rows, r + 1);
    cols = Math.max(cols, c + 1);
    assert.equal(num(text), Number(value), `${id} shows ${text} for ${value}`);
  }
  return { rows, cols, values: cells.map((c) => Number(c.value)) };
}

/** The formula "g[y,x] = f·h + … + bias b = sum" as numbers. */
async function formula(page) {
  const text = (await page.textContent('[data-testid="explainer-formula"]')).replaceAll('−', '-');
  const terms = [...text.matchAll(/\(?(-?[\d.]+)\)?·\(?(-?[\d.]+)\)?/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const bias = text.match(/bias (-?[\d.]+)/);
  const [, y, x] = text.match(/^g\[(\d+),(\d+)\]/).map(Number);
  return { y, x, terms, bias: bias ? Number(bias[1]) : 0, sum: Number(text.split('=').at(-1)) };
}

const position = (page) => page.getAttribute('#explainer', 'data-position');
const error = (page) => page.textContent('[data-testid="explainer-error"]');

test('the three tutorial animations show PyTorch\'s outputs', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  for (const name of ['anim1', 'anim2', 'anim3']) {
    await page.selectOption('[data-testid="explainer-case"]', name);
    const want = fixture[`${name}.output`];
    const [, , oh, ow] = want.shape;
    const got = await outputGrid(page);
    assert.deepEqual([got.rows, got.cols], [oh, ow], `${name}: output size`);
    assert.deepEqual(got.values, want.data, `${name}: output values`);

    // The grids hold the fixture's input, kernel and bias, and the size formula is worked out.
    const [, C, H, W] = fixture[`${name}.input`].shape;
    const K = fixture[`${name}.weight`].shape[2];
    const shown = await page.$$eval('#explainer .conv-grid [data-testid^="explainer-in-"]', (els) => els.map((e) => e.value));
    assert.deepEqual(shown.map(num), fixture[`${name}.input`].data, `${name}: input cells`);
    const kernel = await page.$$eval('#explainer .conv-grid [data-testid^="explainer-kernel-"]', (els) => els.map((e) => e.value));
    assert.deepEqual(kernel.map(num), fixture[`${name}.weight`].data, `${name}: kernel cells`);
    const bias = await page.inputValue('[data-testid="explainer-bias"]');
    assert.deepEqual(bias === '' ? undefined : [num(bias)], fixture[`${name}.bias`]?.data, `${name}: bias`);
    const { stride, padding } = SETTINGS[name];
    assert.equal(await page.inputValue('[data-testid="explainer-stride"]'), String(stride));
    assert.equal(await page.inputValue('[data-testid="explainer-padding"]'), String(padding));
    const size = await page.textContent('[data-testid="explainer-size"]');
    assert.ok(size.includes(`⌊(${H} + 2·${padding} − ${K})/${stride}⌋ + 1 = ${oh}`), `${name}: ${size}`);
    assert.ok(size.includes(`1×${oh}×${ow}`), size);
    assert.equal(C * H * W, shown.length);
    // Padding cells are drawn, and only when there is padding.
    assert.equal(await page.locator('#explainer .cell.pad').count(), C * ((H + 2 * padding) ** 2 - H * W), `${name}: padding cells`);
  }
  await page.locator('#explainer').screenshot({ path: path.join(OUT, 'explainer.png') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('stepping through: each formula adds up to the highlighted output cell', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  for (const name of ['anim1', 'anim3']) {
    await page.selectOption('[data-testid="explainer-case"]', name);
    const { stride, padding } = SETTINGS[name];
    const [, C, H, W] = fixture[`${name}.input`].shape;
    const K = fixture[`${name}.weight`].shape[2];
    const x = fixture[`${name}.input`].data;
    const w = fixture[`${name}.weight`].data;
    const want = fixture[`${name}.output`].data;
    for (let step = 0; step < 5; step++) {
      const f = await formula(page);
      assert.equal(await position(page), `${f.y},${f.x}`, `${name} step ${step}: the formula is for the current cell`);
      assert.equal(f.y * 3 + f.x, step, `${name} step ${step}: row-major order`);
      const current = page.locator('#explainer [data-testid="explainer-output"] .current');
      assert.equal(await current.getAttribute('data-testid'), `explainer-out-${f.y}-${f.x}`);
      assert.equal(f.sum, num(await current.textContent()), `${name} step ${step}: sum = highlighted cell`);
      assert.equal(f.sum, want[step], `${name} step ${step}: PyTorch's value`);
      // The products are the window's: C·K·K of them, input (0 in the padding) times kernel.
      assert.equal(f.terms.length, C * K * K);
      f.terms.forEach(([fv, hv], t) => {
        const c = Math.floor(t / (K * K)), k = Math.floor(t / K) % K, l = t % K;
        const r = f.y * stride + k - padding, q = f.x * stride + l - padding;
        const inside = r >= 0 && r < H && q >= 0 && q < W;
        assert.equal(fv, inside ? x[(c * H + r) * W + q] : 0, `${name} step ${step} term ${t}: f`);
        assert.equal(hv, w[(c * K + k) * K + l], `${name} step ${step} term ${t}: h`);
      });
      assert.equal(f.terms.reduce((s, [a, b]) => s + a * b, f.bias), f.sum, `${name} step ${step}: the sum adds up`);
      await page.click('[data-testid="explainer-step"]');
    }
    assert.equal(await position(page), '1,2');
    await page.click('[data-testid="explainer-back"]');
    await page.click('[data-testid="explainer-back"]');
    assert.equal(await position(page), '1,0');
    // The keyboard moves the window too, and stops at the ends.
    await page.focus('[data-testid="explainer-stage"]');
    await page.keyboard.press('ArrowRight');
    assert.equal(await position(page), '1,1');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowRight');
    assert.equal(await position(page), '2,2');
    await page.click('[data-testid="explainer-reset"]');
    assert.equal(await position(page), '0,0');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await position(page), '0,0');
  }
  // Clicking an output cell moves the window there.
  await page.click('[data-testid="explainer-out-2-1"]');
  assert.equal(await position(page), '2,1');
  assert.deepEqual(problems, []);
  await context.close();
});

test('edited values change the output to the right numbers', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await page.selectOption('[data-testid="explainer-case"]', 'anim1');
  const x = [...fixture['anim1.input'].data];
  const w = [...fixture['anim1.weight'].data];
  const check = async (bias, label) => {
    const want = conv2d(x, [1, 5, 5], w, 3, bias, 1, 0);
    const got = await outputGrid(page);
    assert.deepEqual(got.values, want.data, label);
  };

  await page.fill('[data-testid="explainer-kernel-0-0-0"]', '3');
  w[0] = 3;
  await check(null, 'kernel h[0,0] = 3');
  assert.notDeepEqual((await outputGrid(page)).values, fixture['anim1.output'].data);

  await page.fill('[data-testid="explainer-in-0-2-2"]', '−2.5');
  x[12] = -2.5;
  await check(null, 'input f[2,2] = −2.5');

  await page.fill('[data-testid="explainer-bias"]', '4');
  await check(4, 'bias 4');
  const f = await formula(page);
  assert.equal(f.bias, 4);
  assert.equal(f.sum, (await outputGrid(page)).values[0]);

  // Not a number: a message naming the cell; the page still works once it is fixed.
  await page.fill('[data-testid="explainer-kernel-0-1-1"]', 'abc');
  assert.match(await error(page), /kernel row 2 column 2: “abc” is not a number/i);
  assert.equal(await page.getAttribute('[data-testid="explainer-kernel-0-1-1"]', 'aria-invalid'), 'true');
  assert.equal((await outputGrid(page)).values.length, 0, 'no stale output while a value is wrong');
  await page.fill('[data-testid="explainer-kernel-0-1-1"]', '1');
  w[4] = 1;
  assert.equal(await error(page), '');
  await check(4, 'kernel h[1,1] = 1');

  // "Original values" brings back the tutorial's numbers.
  await page.click('[data-testid="explainer-restore"]');
  assert.deepEqual((await outputGrid(page)).values, fixture['anim1.output'].data);
  assert.deepEqual(problems, []);
  await context.close();
});

test('impossible settings are explained, and the page keeps working', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await page.selectOption('[data-testid="explainer-case"]', 'anim2');
  const x = fixture['anim2.input'].data;
  const w = fixture['anim2.weight'].data;

  // Stride 0: the Rust core's own message.
  await page.fill('[data-testid="explainer-stride"]', '0');
  assert.match(await error(page), /Cannot convolve: .*stride must be at least 1/);
  assert.equal((await outputGrid(page)).values.length, 0);
  assert.ok(await page.isDisabled('[data-testid="explainer-step"]'));
  assert.match(await page.textContent('[data-testid="explainer-size"]'), /no output/);
  await page.fill('[data-testid="explainer-stride"]', '2');
  assert.equal(await error(page), '');
  assert.deepEqual((await outputGrid(page)).values, conv2d(x, [3, 5, 5], w, 3, 1, 2, 0).data);

  // A kernel larger than the padded input: 7×7 on 5×5 needs padding 1.
  await page.fill('[data-testid="explainer-stride"]', '1');
  await page.fill('[data-testid="explainer-kernel-size"]', '7');
  assert.match(await error(page), /kernel 7×7 is larger than the padded input 5×5/);
  assert.match(await page.textContent('[data-testid="explainer-size"]'), /kernel is larger than the padded input/);
  assert.equal((await outputGrid(page)).values.length, 0);
  await page.fill('[data-testid="explainer-padding"]', '1');
  assert.equal(await error(page), '');
  // The kernel grew with zeros: the old 3×3 in its top-left corner.
  const w7 = Array.from({ length: 3 * 49 }, (_, i) => {
    const c = Math.floor(i / 49), k = Math.floor(i / 7) % 7, l = i % 7;
    return k < 3 && l < 3 ? w[(c * 3 + k) * 3 + l] : 0;
  });
  const got = await outputGrid(page);
  assert.deepEqual([got.rows, got.cols], [1, 1]);
  assert.deepEqual(got.values, conv2d(x, [3, 5, 5], w7, 7, 1, 1, 1).data);

  // Not whole numbers, or too big for the page: the control names the allowed range.
  for (const [testid, value, message] of /** @type {[string, string, RegExp][]} */ ([
    ['explainer-padding', '', /Padding must be a whole number from 0 to 3/],
    ['explainer-padding', '9', /Padding must be a whole number from 0 to 3/],
    ['explainer-stride', '1.5', /Stride must be a whole number from 1 to 8/],
    ['explainer-input-size', '-1', /Input size must be a whole number from 1 to 8/],
  ])) {
    await page.fill(`[data-testid="${testid}"]`, value);
    assert.match(await error(page), message, `${testid} = "${value}"`);
    assert.equal((await outputGrid(page)).values.length, 0);
    await page.click('[data-testid="explainer-restore"]');
    assert.equal(await error(page), '');
  }

  // After all that, the tutorial's case still steps and still matches PyTorch.
  assert.deepEqual((await outputGrid(page)).values, fixture['anim2.output'].data);
  await page.click('[data-testid="explainer-step"]');
  assert.equal(await position(page), '0,1');
  assert.deepEqual(problems, []);
  await context.close();
});

test('play advances the window, pause stops it', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await page.selectOption('[data-testid="explainer-case"]', 'anim1');
  assert.equal(await position(page), '0,0');
  assert.ok(await page.isDisabled('[data-testid="explainer-pause"]'), 'nothing plays: nothing to pause');
  await page.click('[data-testid="explainer-play"]');
  assert.ok(await page.isEnabled('[data-testid="explainer-pause"]'));
  await page.waitForFunction(() => document.getElementById('explainer').dataset.position === '0,2', null, { timeout: 10 * TICK_MS });
  await page.click('[data-testid="explainer-pause"]');
  const paused = await position(page);
  assert.equal(await page.getAttribute('#explainer', 'data-playing'), 'false');
  assert.ok(await page.isDisabled('[data-testid="explainer-pause"]'));
  await page.waitForTimeout(2.5 * TICK_MS);
  assert.equal(await position(page), paused, 'the window stays put while paused');

  // Played to the end, it stops on the last cell.
  await page.click('[data-testid="explainer-out-2-0"]');
  await page.click('[data-testid="explainer-play"]');
  assert.equal(await page.getAttribute('#explainer', 'data-playing'), 'true');
  await page.waitForFunction(() => document.getElementById('explainer').dataset.playing === 'false', null, { timeout: 6 * TICK_MS });
  assert.equal(await position(page), '2,2');
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a phone the panel fits the screen and its targets are finger-sized', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url, { viewport: { width: 390, height: 844 } });
  await page.selectOption('[data-testid="explainer-case"]', 'anim3');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  for (const testid of ['explainer-step', 'explainer-in-0-0-0', 'explainer-out-0-0']) {
    const box = await page.locator(`[data-testid="${testid}"]`).boundingBox();
    assert.ok(box.height >= 40, `${testid} is ${box.height}px tall`);
  }
  await page.locator('#explainer').screenshot({ path: path.join(OUT, 'explainer-phone.png') });
  assert.deepEqual(problems, []);
  await context.close();
});
