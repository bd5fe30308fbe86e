// @ts-check
// Faults as users meet them: a crafted checkpoint, a model in storage that cannot be restored, a
// trap in the worker mid-training, browser storage that is full, a download that breaks off, and
// memory that must stay flat over long training and many loads. The page keeps working and the
// last good model survives each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { serverAndBrowser, openPage, launchBrowser, ROOT } from './harness.mjs';
import { settled, count } from './digits.mjs';

const env = serverAndBrowser();
const PYTORCH = fs.readFileSync(path.join(ROOT, 'tests/fixtures/seed_cnn_init.safetensors'));

/**
 * A browser of its own with extra flags, closed when the test ends however it ends (an open
 * browser would keep the test runner waiting).
 */
async function browserWith(t, flags) {
  const browser = await launchBrowser(flags);
  t.after(() => browser.close());
  return browser;
}

/** A safetensors file with `tensors` ({name: [shape, Float32Array]}) and `metadata`. */
function safetensors(tensors, metadata = {}) {
  const header = { __metadata__: metadata };
  let offset = 0;
  const parts = [];
  for (const [name, [shape, values]] of Object.entries(tensors)) {
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    parts.push(bytes);
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...parts]);
}

/** The tutorial's tensors from PyTorch's file, each value scaled by `scale`. */
function tutorialTensors(scale = 1) {
  const n = Number(PYTORCH.readBigUInt64LE(0));
  const header = JSON.parse(PYTORCH.subarray(8, 8 + n).toString());
  return Object.fromEntries(Object.entries(header).filter(([k]) => k !== '__metadata__').map(([name, t]) => {
    const raw = PYTORCH.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)).map((v) => v * scale);
    return [name, [t.shape, values]];
  }));
}

/** A zip of `files` ({name: bytes}) stored uncompressed, as torch.save writes one. */
function storedZip(files) {
  const local = [];
  const central = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const common = Buffer.alloc(26);
    common.writeUInt16LE(20, 0);
    common.writeUInt32LE(zlib.crc32(data), 10);
    common.writeUInt32LE(data.length, 14);
    common.writeUInt32LE(data.length, 18);
    common.writeUInt16LE(name.length, 22);
    const head = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), common, Buffer.from(name), data]);
    const entry = Buffer.alloc(46);
    entry.write('PK\x01\x02', 0, 'latin1');
    entry.writeUInt16LE(20, 4);
    common.copy(entry, 6);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, Buffer.from(name));
    local.push(head);
    offset += head.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.write('PK\x05\x06', 0, 'latin1');
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, directory, end]);
}

/** A pickle as a `.pt` holds it. */
const torchFile = (pickle) => storedZip({ 'archive/data.pkl': pickle, 'archive/byteorder': Buffer.from('little') });
const latin1 = (text) => Buffer.from(text, 'latin1');
/** Pickle's BINUNICODE. */
function pickleText(text) {
  const bytes = Buffer.from(text);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(bytes.length);
  return Buffer.concat([latin1('X'), len, bytes]);
}

async function upload(page, name, buffer) {
  await page.setInputFiles('[data-testid="model-upload"]', { name, mimeType: 'application/octet-stream', buffer });
  await page.waitForFunction(() => /Loaded|not loaded/.test(document.querySelector('[data-testid="model-status"]').textContent));
  return page.textContent('[data-testid="model-status"]');
}

const story = (page) => page.textContent('[data-testid="model-story"]');
const waitSteps = (page, n) => page.waitForFunction((k) => Number(document.getElementById('train').dataset.steps) >= k, n, { timeout: 120_000 });

/** The draw panel's prediction for the tutorial's example digit, once it has settled. */
async function predictExample(page) {
  const before = await count(page, 'draw', 'predictions');
  await page.click('[data-testid="draw-example"]');
  await settled(page, 'draw', 'predictions', before);
  return page.evaluate(() => Array.from({ length: 10 }, (_, d) => /** @type {HTMLElement} */ (document.querySelector(`[data-testid="draw-prob-${d}"]`)).dataset.value));
}

test('crafted checkpoints are refused at upload, and one already in storage is discarded on load', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const before = await predictExample(page);
  // The architecture that used to trap on wasm32: a padding whose doubled size wraps around.
  const arch = { input: [1, 28, 28], layers: [{ type: 'conv2d', out_channels: 16, kernel_size: 3, padding: 4294967295 }, { type: 'relu' }, { type: 'flatten' }, { type: 'linear', out_features: 10 }] };
  const crafted = safetensors({}, { architecture: JSON.stringify(arch) });
  assert.ok(crafted.length < 9000);
  assert.match(await upload(page, 'crafted.safetensors', crafted), /not loaded\. The network described in this file cannot be built here: layer 1 \(conv1\): input 1×28×28 with padding 4294967295/);
  // Weights so large the network's scores overflow: it cannot run, so it is not kept.
  assert.match(await upload(page, 'huge.safetensors', safetensors(tutorialTensors(1e30))), /not loaded\. The model in this file cannot run: its scores for a blank image are not finite/);
  assert.deepEqual(await predictExample(page), before, 'the model in use is the one from before');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.match(await story(page), /^Untrained/, 'nothing crafted was stored');

  // A stored model that cannot be restored (written by some older page, say) is discarded once.
  await page.evaluate((bytes) => new Promise((/** @type {(value?: unknown) => void} */ resolve, reject) => {
    const open = indexedDB.open('cnn-playground');
    open.onsuccess = () => {
      const tx = open.result.transaction('models', 'readwrite');
      tx.objectStore('models').put({ bytes: new Uint8Array(bytes), savedAt: Date.now() }, 'latest');
      tx.oncomplete = () => { open.result.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
  }), [...crafted]);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(() => /could not be restored and was discarded/.test(document.querySelector('[data-testid="train-status"]').textContent));
  assert.match(await story(page), /^Untrained/);
  assert.equal((await predictExample(page)).length, 10, 'the page predicts');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.doesNotMatch(await page.textContent('[data-testid="train-status"]'), /discarded/, 'discarded for good');
  assert.deepEqual(problems, []);
  await context.close();
});

test('hostile PyTorch and Paddle files are refused on one line; the worker never traps and the model stays', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const before = await predictExample(page);
  const wasmBytes = async () => (await page.evaluate(() => globalThis.playground.request('diagnostics'))).wasmBytes;
  const memoryBefore = await wasmBytes();
  // A parameter nested 60,000 deep in its own rebuild calls: the reader's recursion once
  // overflowed the worker's stack (a trap). (tests/hostile/mod.rs has the whole corpus.)
  const depth = 60_000;
  const nested = Buffer.concat([latin1('\x80\x02}'), pickleText('weight'), latin1('ctorch._utils\n_rebuild_parameter\nq\x00'),
    latin1('h\x00'.repeat(depth - 1)), latin1('N'), latin1('\x85R'.repeat(depth)), latin1('s.')]);
  assert.match(await upload(page, 'nested.pt', torchFile(nested)),
    /"nested\.pt" was not loaded\. This PyTorch \(torch\.save\) file cannot be read: 'weight' is wrapped in parameters more than 4 deep/);
  // A key that would clear a terminal and forge a line of its own: shown escaped, on one line.
  const forged = Buffer.concat([latin1('\x80\x02}'), pickleText('w\r\nerror: forged\x1b[2J'), latin1('ctorch._utils\n_rebuild_tensor_v2\n)Rs.')]);
  const said = await upload(page, 'forged.pt', torchFile(forged));
  assert.match(said, /'w\\r\\nerror: forged\\u\{1b\}\[2J' is not a tensor the playground can read/);
  // eslint-disable-next-line no-control-regex -- the control characters are what it looks for
  assert.doesNotMatch(said, /[\x00-\x1f\x7f]/);
  // 24 MB of a one-byte opcode that makes an object each: refused before it takes gigabytes.
  const cheap = Buffer.alloc(24 << 20, 'N');
  cheap.set([0x80, 2]);
  cheap[cheap.length - 1] = '.'.charCodeAt(0);
  assert.match(await upload(page, 'cheap.pdparams', cheap), /"cheap\.pdparams" was not loaded\. .*builds more objects than a model file/);
  const grown = (await wasmBytes()) - memoryBefore;
  assert.ok(grown < 256 * 2 ** 20, `the worker's memory grew ${(grown / 2 ** 20).toFixed(0)} MiB`);
  assert.deepEqual(await predictExample(page), before, 'the model in use is the one from before');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a link with an absurd architecture is explained, and the page runs the tutorial\'s network', async () => {
  // Its input is the data's whatever the link says; its first layer's padding is absurd.
  const arch = { input: [1, 1048576, 1048576], layers: [{ type: 'conv2d', out_channels: 1024, kernel_size: 3, padding: 1000 }, { type: 'flatten' }, { type: 'linear', out_features: 10 }] };
  const { page, context, problems } = await openPage(env.browser, `${env.server.url}#recipe=custom&arch=${encodeURIComponent(JSON.stringify(arch))}`);
  const why = 'layer 1 (conv1): one sample would need 47.0 GiB of memory to train, more than the 2.0 GiB allowed';
  await page.waitForFunction((w) => document.querySelector('[data-testid="train-status"]').textContent.includes(`The architecture asked for cannot be used (${w})`), why);
  assert.equal(await page.textContent('[data-testid="arch-error"]'), why);
  assert.ok(await page.isDisabled('[data-testid="train-start"]'), 'the absurd network cannot be started');
  assert.match(await page.textContent('[data-testid="model-summary"]'), /conv1 → relu1 → pool1 .* 206,922 parameters/);
  assert.equal((await predictExample(page)).length, 10, 'the page predicts');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a trap in the worker mid-training: a new worker takes over with the last model kept', async (t) => {
  // Wasm memory capped at 320 MiB: a batch of 4,096 (about 1.2 GiB) cannot be had, and the
  // worker's allocation traps, as on a phone that runs out of memory.
  const browser = await browserWith(t, ['--js-flags=--wasm-max-mem-pages=5120']);
  const { page, context, problems } = await openPage(browser, `${env.server.url}#threads=1`);
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 60);
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle');
  const kept = await predictExample(page);
  await page.fill('[data-testid="train-batch"]', '4096');
  await page.dispatchEvent('[data-testid="train-batch"]', 'change');
  await page.click('[data-testid="train-start"]');
  await page.waitForSelector('[data-testid="worker-crash"]:not([hidden])', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="worker-crash-message"]'), /internal error .*A new worker was started with the last saved model/);
  await page.waitForFunction(() => /Restored the model/.test(document.querySelector('[data-testid="train-status"]').textContent));
  assert.deepEqual(await predictExample(page), kept, 'the model from before the trap');
  assert.equal(await page.getAttribute('#train', 'data-state'), 'idle');
  // Training goes on in the new worker at a batch that fits.
  await page.fill('[data-testid="train-batch"]', '64');
  await page.dispatchEvent('[data-testid="train-batch"]', 'change');
  const steps = Number(await page.getAttribute('#train', 'data-steps'));
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, steps + 20);
  await page.click('[data-testid="train-stop"]');
  assert.deepEqual(problems.filter((p) => !/internal error|RuntimeError|unreachable/.test(p)), []);
  await context.close();
});

test('a stored model too large for this device stops one worker, then is discarded for good', async (t) => {
  // 94 MiB of wasm memory: a network of 7.8 million weights (31 MB, with its gradients and the
  // copy being read over 90 MB) cannot be restored, as on a phone with little memory.
  const browser = await browserWith(t, ['--js-flags=--wasm-max-mem-pages=1500']);
  const { page, context } = await openPage(browser, `${env.server.url}#threads=1`);
  await page.evaluate(() => new Promise((/** @type {(value?: unknown) => void} */ resolve, reject) => {
    const arch = { input: [1, 28, 28], layers: [{ type: 'flatten' }, { type: 'linear', out_features: 10000 }, { type: 'relu' }, { type: 'linear', out_features: 10 }] };
    /** @type {[string, number[]][]} */
    const tensors = [['fc1.weight', [10000, 784]], ['fc1.bias', [10000]], ['fc2.weight', [10, 10000]], ['fc2.bias', [10]]];
    const header = { __metadata__: { architecture: JSON.stringify(arch) } };
    let offset = 0;
    for (const [name, shape] of tensors) {
      const bytes = 4 * shape.reduce((a, b) => a * b, 1);
      header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    const json = new TextEncoder().encode(JSON.stringify(header));
    const file = new Uint8Array(8 + json.length + offset);
    new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
    file.set(json, 8);
    const open = indexedDB.open('cnn-playground');
    open.onsuccess = () => {
      const tx = open.result.transaction('models', 'readwrite');
      tx.objectStore('models').put({ bytes: file, savedAt: Date.now() }, 'latest');
      tx.oncomplete = () => { open.result.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
  }));
  await page.reload();
  await page.waitForSelector('[data-testid="worker-crash"]:not([hidden])', { timeout: 60_000 });
  await page.waitForFunction(() => /stopped the training worker the last time it was restored, so it was discarded/.test(document.querySelector('[data-testid="train-status"]').textContent), null, { timeout: 60_000 });
  assert.match(await story(page), /^Untrained/);
  assert.equal((await predictExample(page)).length, 10, 'the page works with a new model');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.match(await story(page), /^Untrained/);
  assert.ok(await page.isHidden('[data-testid="worker-crash"]'), 'no worker stops any more');
  await context.close();
});

test('storage full: the page trains on, says the model is not kept, and the download still works', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(env.server.url).origin, quotaSize: 1024 });
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 30);
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('model').dataset.storage === 'unavailable', null, { timeout: 30_000 });
  assert.match(await page.textContent('[data-testid="storage-status"]'), /This browser is not keeping the model .*download it to keep it/);
  await page.waitForFunction(() => /cannot keep the model, so download it/.test(document.querySelector('[data-testid="train-status"]').textContent));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="model-download"]')]);
  assert.ok(fs.statSync(await download.path()).size > 800_000);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a download that breaks off is explained, training waits, and Retry completes it', async () => {
  const context = await env.browser.newContext();
  let broken = true;
  const images = fs.readFileSync(path.join(ROOT, 'www/data/mnist/train-images-idx3-ubyte.gz'));
  await context.route('**/train-images-idx3-ubyte.*.gz', async (route) => {
    if (!broken) return route.continue();
    // The connection drops after 1 MiB: the response ends early.
    await route.fulfill({ status: 200, contentType: 'application/octet-stream', body: images.subarray(0, 1 << 20) });
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(env.server.url);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('[data-testid="data-retry"]:not([hidden])', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid="data-status"]'), /The MNIST training images could not be downloaded \(the download ended after [\d,]+ of 60,000 images\)\. What arrived is kept; training waits for the rest/);
  // Training runs on what arrived, then waits.
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 5);
  broken = false;
  await page.click('[data-testid="data-retry"]');
  await page.waitForFunction(() => /MNIST loaded: 60,000 training and 10,000 test images/.test(document.querySelector('[data-testid="data-status"]').textContent), null, { timeout: 60_000 });
  assert.equal(await page.getAttribute('#train', 'data-train-loaded'), '60000');
  await waitSteps(page, 40);
  await page.click('[data-testid="train-pause"]');
  assert.deepEqual(errors, []);
  await context.close();
});

test('memory stays flat over 1,000 training steps and 50 model loads', async (t) => {
  // Eager memory measurement: the page's and the worker's JS heaps in a moment, not at the next GC.
  const browser = await browserWith(t, ['--enable-blink-features=ForceEagerMeasureMemory']);
  const { page, context, problems } = await openPage(browser, `${env.server.url}#threads=1`);
  /** The worker's wasm memory, and the JavaScript heaps of the page and the worker, in bytes. */
  const memory = () => page.evaluate(async () => {
    const { wasmBytes } = await globalThis.playground.request('diagnostics');
    const { breakdown } = await /** @type {any} Chromium's, not yet in TypeScript's DOM */ (performance).measureUserAgentSpecificMemory();
    const heap = (scope) => breakdown.filter((b) => b.types.includes('JavaScript') && b.attribution.some((a) => a.scope === scope))
      .reduce((sum, b) => sum + b.bytes, 0);
    return { wasm: wasmBytes, page: heap('Window'), worker: heap('DedicatedWorkerGlobalScope') };
  });
  // Every path once first (a measurement, a save to storage), so that what follows compares
  // like with like: wasm memory grows for a first use and never shrinks.
  await page.click('[data-testid="train-evaluate"]');
  await page.waitForFunction(() => Number(document.getElementById('train').dataset.evaluations ?? 0) >= 1, null, { timeout: 60_000 });
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 100);
  const at100 = await memory();
  // The epoch ends after step 938 (60,000 images in batches of 64).
  await waitSteps(page, 900);
  const at900 = await memory();
  await waitSteps(page, 1000);
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle');
  const at1000 = await memory();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="model-download"]')]);
  const bytes = fs.readFileSync(await download.path());
  const loads = [];
  for (let i = 1; i <= 50; i++) {
    assert.match(await upload(page, `load-${i}.safetensors`, bytes), new RegExp(`Loaded "load-${i}.safetensors"`));
    if (i === 5 || i === 50) loads.push(await memory());
  }
  const mib = (b) => (b / 2 ** 20).toFixed(1);
  for (const what of ['wasm', 'worker', 'page']) {
    console.log(`# ${what} memory, MiB: ${mib(at100[what])} after 100 steps, ${mib(at900[what])} after 900, ${mib(at1000[what])} after 1,000; ${mib(loads[0][what])} after 5 loads, ${mib(loads[1][what])} after 50`);
  }
  // Not a byte more over 800 steps; the first epoch's end (a new shuffled order, the test
  // measurement, a save) takes what it needs once.
  assert.equal(at900.wasm, at100.wasm, 'no wasm growth from step 100 to step 900');
  assert.ok(at1000.wasm - at900.wasm < 2 * 2 ** 20, `wasm grew ${mib(at1000.wasm - at900.wasm)} MiB over the epoch's end`);
  assert.equal(loads[1].wasm, loads[0].wasm, 'no wasm growth over 45 loads');
  // The JS heaps move with the garbage collector; a leak of a model per load (800 KB) or of a
  // step's arrays would pass these bounds many times over.
  for (const heap of ['worker', 'page']) {
    assert.ok(at1000[heap] - at100[heap] < 8 * 2 ** 20, `${heap} heap grew ${mib(at1000[heap] - at100[heap])} MiB over 900 steps`);
    assert.ok(loads[1][heap] - loads[0][heap] < 8 * 2 ** 20, `${heap} heap grew ${mib(loads[1][heap] - loads[0][heap])} MiB over 45 loads`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});
