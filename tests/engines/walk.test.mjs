// @ts-check
// Every panel walked as a user walks it, in each engine besides Chromium that is installed
// (webdriver.mjs): the built site (dist/) on a plain static server, which the page's service
// worker isolates; a photo filtered, the explainer stepped, ~200 training steps on as many workers
// as the engine allows (and the page says which), a digit drawn with the mouse and with a finger
// where the engine emulates one, PyTorch's .pt and Paddle's .pdparams uploaded and evaluated to
// their frameworks' counts, the layers view, the ONNX download run in ONNX Runtime, the model
// restored on reload, and the page loaded again with the server gone. The full suite runs in
// Chromium (tests/e2e/); this walk is the same user in the other engines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, staticServer } from '../e2e/harness.mjs';
import { assertClose, FIXTURES, onnxLogits, REF } from '../e2e/interop.mjs';
import { ONE } from '../e2e/digits.mjs';
import { Browser, ENGINES, installed } from './webdriver.mjs';

/** How many training steps the walk takes. */
const STEPS = 200;
const ENGINE_KEYS = (process.env.ENGINES ?? installed().join(',')).split(',').filter(Boolean);

let server;
let url;
before(async () => {
  server = await staticServer(path.join(ROOT, 'dist'));
  url = `http://127.0.0.1:${server.address().port}/`;
});
after(() => {
  server?.closeAllConnections();
  server?.close();
});

/** The text of the element with data-testid `id`. */
const text = (b, id) => b.run((i) => document.querySelector(`[data-testid="${i}"]`).textContent, id);
/** A count the page keeps in a panel's data attribute (0 while unset). */
const count = (b, panel, key) => b.run((p, k) => Number(document.getElementById(p).dataset[k] ?? 0), panel, key);

/** Waits for the page to be ready: the core loaded, the worker started. */
const ready = (b) => b.until('the page to be ready', () => document.body.dataset.ready === 'true', [], 180_000);

/** Uploads `file` (in the interop fixtures) in the Save and load panel; returns its status. */
async function upload(b, file) {
  const before = await text(b, 'model-status');
  await b.choose('[data-testid="model-upload"]', path.join(FIXTURES, file));
  await b.until(`${file} to load`, (was) => {
    const now = document.querySelector('[data-testid="model-status"]').textContent;
    return now !== was && /Loaded|not loaded/.test(now);
  }, [before]);
  return text(b, 'model-status');
}

/** Clicks Evaluate and returns the count of correct test images. */
async function evaluate(b) {
  const n = await count(b, 'train', 'evaluations');
  await b.click('[data-testid="train-evaluate"]');
  await b.until('the evaluation', (k) => Number(document.getElementById('train').dataset.evaluations ?? 0) > k, [n], 180_000);
  return Number(await b.run(() => document.getElementById('train').dataset.testCorrect));
}

/** Clicks the download `testid` and returns the file the page offered: {name, bytes}. */
async function download(b, testid) {
  // The anchor's click is caught, not followed (what the browser does with a download is its
  // own), and the blob behind its address kept.
  await b.run(() => {
    const w = /** @type {any} */ (window);
    w.offered = [];
    w.blobs = new Map();
    const url = URL.createObjectURL;
    URL.createObjectURL = (blob) => {
      const made = url.call(URL, blob);
      w.blobs.set(made, blob);
      return made;
    };
    HTMLAnchorElement.prototype.click = function () { w.offered.push({ name: this.download, blob: w.blobs.get(this.href) }); };
  });
  await b.click(`[data-testid="${testid}"]`);
  await b.until('the download', () => /** @type {any} */ (window).offered.length > 0);
  const { name, base64 } = await b.run(async () => {
    const { name: file, blob } = /** @type {any} */ (window).offered[0];
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { name: file, base64: btoa(binary) };
  });
  return { name, bytes: Buffer.from(base64, 'base64') };
}

for (const key of ENGINE_KEYS) {
  test(`${ENGINES[key].name}: every panel, as a user`, async () => {
    const b = await Browser.start(key);
    const started = Date.now();
    try {
      await b.go(url);
      await ready(b);
      // The service worker isolates the page (it reloads once under it); where the engine gives
      // an isolated page shared memory, two workers train.
      await b.until('the service worker', () => navigator.serviceWorker.controller !== null);
      const engine = await b.run(() => ({ isolated: crossOriginIsolated, shared: typeof SharedArrayBuffer === 'function', build: document.body.dataset.wasm }));
      assert.ok(engine.isolated, 'isolated by the service worker');
      const workers = engine.shared ? '2' : '1';
      await b.until(`${workers} worker(s)`, (w) => document.getElementById('train').dataset.threads === w
        && !/is starting/.test(document.querySelector('[data-testid="threads-status"]').textContent), [workers]);
      const threads = await text(b, 'threads-status');
      assert.match(threads, engine.shared ? /^Training on 2 workers/ : /^Training on 1 worker: this browser gives no page shared memory/);
      const status = await text(b, 'core-status');
      assert.match(status, /^Rust core loaded \((WebAssembly with relaxed SIMD|WebAssembly with SIMD|portable WebAssembly)/);
      assert.match(status, engine.shared ? /Training on 2 workers\.$/ : /Training on 1 worker \(the Train panel says why\)\.$/);

      // The filter lab on an uploaded photo.
      await b.choose('[data-testid="filter-upload"]', path.join(ROOT, 'dist/icons/icon-192.png'));
      await b.until('the photo filtered', () => document.getElementById('filters').dataset.filtered === 'mean:192x192');
      // The explainer, one step.
      await b.click('[data-testid="explainer-step"]');
      await b.until('the explainer to step', () => /^Step 2 of 9/.test(document.querySelector('[data-testid="explainer-position"]').textContent));

      // Training, on MNIST as it arrives.
      await b.click('[data-testid="train-start"]');
      await b.until(`${STEPS} steps`, (n) => Number(document.getElementById('train').dataset.steps ?? 0) >= n, [STEPS], 300_000);
      await b.click('[data-testid="train-pause"]');
      await b.until('MNIST whole', () => /MNIST loaded: 60,000 training and 10,000 test images/.test(document.querySelector('[data-testid="data-status"]').textContent), [], 120_000);

      // A "1" drawn with the mouse, then with a finger where the driver can put one down.
      await b.click('[data-testid="draw-clear"]');
      let n = await count(b, 'draw', 'predictions');
      await b.stroke('[data-testid="draw-canvas"]', ONE, 'mouse');
      await b.until('a prediction of the mouse\'s stroke', (k) => Number(document.getElementById('draw').dataset.predictions ?? 0) > k
        && document.getElementById('draw').dataset.pointer === 'mouse', [n]);
      const { touch } = ENGINES[key];
      if (touch) {
        await b.click('[data-testid="draw-clear"]');
        n = await count(b, 'draw', 'predictions');
        await b.stroke('[data-testid="draw-canvas"]', ONE, 'touch');
        await b.until('a prediction of the finger\'s stroke', (k) => Number(document.getElementById('draw').dataset.predictions ?? 0) > k
          && document.getElementById('draw').dataset.pointer === 'touch', [n]);
      }

      // PyTorch's file: PyTorch's count; the layers view reads the tutorial's 4; its ONNX runs
      // in ONNX Runtime with PyTorch's logits.
      assert.match(await upload(b, 'tutorial_module.pt'), /Loaded "tutorial_module.pt": 206,922 parameters/);
      assert.equal(await evaluate(b), REF.correct.tutorial, "PyTorch's count of correct test digits");
      await b.click('[data-testid="draw-example"]');
      await b.until('the layers view', () => document.getElementById('layers').dataset.source === 'test image 9987');
      assert.match(await text(b, 'layers-prediction'), /^Predicted 4 /);
      const onnx = await download(b, 'export-onnx');
      assert.equal(onnx.name, 'cnn-playground-model.onnx');
      assertClose((await onnxLogits(onnx.bytes)).data, REF.tensor('logits.tutorial').data, "the page's ONNX");
      // Paddle's: Paddle's count.
      assert.match(await upload(b, 'tutorial.pdparams'), /Loaded "tutorial.pdparams": 206,922 parameters/);
      assert.equal(await evaluate(b), REF.correct.paddle, "Paddle's count of correct test digits");

      // Opened again, the model is restored. (Navigated to, not refreshed: geckodriver's refresh
      // bypasses the service worker, as no user's reload does.)
      await b.go(url);
      await ready(b);
      await b.until('the model restored', () => /Restored the model kept in this browser/.test(document.querySelector('[data-testid="train-status"]').textContent));
      assert.match(await text(b, 'model-story'), /Uploaded tutorial\.pdparams/);

      // The server gone, the page still loads, MNIST from this browser's copy.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await b.go(url);
      await ready(b);
      await b.until('MNIST from the cache', () => /from this browser's copy/.test(document.querySelector('[data-testid="data-status"]').textContent), [], 120_000);
      assert.match(await text(b, 'model-story'), /Uploaded tutorial\.pdparams/);
      console.log(`${ENGINES[key].name} ${b.version}${ENGINES[key].why ? ` (${ENGINES[key].why})` : ''}: build ${engine.build}; ${threads}`
        + ` Touch ${touch ? 'drawn' : 'not drawn: its driver has no finger'}; walked in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
    } finally {
      await b.close();
      // The next engine gets the server back.
      if (!server.listening) {
        await new Promise((resolve) => server.listen(Number(new URL(url).port), '127.0.0.1', resolve));
      }
    }
  });
}
