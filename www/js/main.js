// @ts-check
// The page's entry point: loads the Rust core, then wires up each panel.
import { build, loadCore } from './core.js';
import { setupFilters } from './panels/filters.js';
import { setupExplainer } from './panels/explainer.js';
import { App } from './app.js';
import { setupTrain } from './panels/train.js';
import { initialSettings } from './panels/train-form.js';
import { workerSettings } from './settings.js';
import { setupDraw } from './panels/draw.js';
import { setupLayers } from './panels/layers.js';
import { setupModel } from './panels/model.js';
import { setupData } from './panels/data.js';
import { startService } from './service.js';

const status = /** @type {HTMLElement} */ (document.querySelector('[data-testid="core-status"]'));

try {
  await startService();
  const core = await loadCore();
  const loaded = {
    relaxed: 'Rust core loaded (WebAssembly with relaxed SIMD: fused multiply-add).',
    simd: 'Rust core loaded (WebAssembly with SIMD).',
  }[build] ?? 'Rust core loaded (portable WebAssembly, without SIMD: slower, same results).';
  status.textContent = loaded;
  document.body.dataset.wasm = build;
  document.body.dataset.wasmSimd = core.wasm_simd(); // what the build really holds
  await setupFilters(document.getElementById('filters'), core);
  await setupExplainer(document.getElementById('explainer'), core);
  // The model lives in a worker shared by the panels below.
  const app = new App();
  // The line says what this browser got: the build above, and the workers that train.
  app.on('threads', ({ threads }) => {
    status.textContent = `${loaded} ${threads > 1 ? 'Training on 2 workers.' : 'Training on 1 worker (the Train panel says why).'}`;
  });
  const initial = initialSettings(core);
  setupData(document.getElementById('data'), app, core);
  setupTrain(/** @type {HTMLElement} */ (document.getElementById('train')), app, core, initial);
  // These wait for the worker's first 'model' event before they ask it anything.
  setupDraw(document.getElementById('draw'), app, core);
  setupLayers(document.getElementById('layers'), app);
  setupModel(document.getElementById('model'), app, core);
  watchWorker(app);
  // For the browser's console (and the tests): `playground.request('diagnostics')`, any message
  // of protocol.js.
  globalThis.playground = app;
  await app.start(workerSettings(initial.settings, initial.spec));
  document.body.dataset.ready = 'true';
} catch (err) {
  status.textContent = `The Rust core could not start: ${err.message ?? err}`;
  status.classList.add('error');
  throw err;
}

/**
 * A worker that dies is reported, and a new one restores the model kept in browser storage.
 * @param {App} app
 */
function watchWorker(app) {
  const banner = /** @type {HTMLElement} */ (document.querySelector('[data-testid="worker-crash"]'));
  const restart = /** @type {HTMLElement} */ (banner.querySelector('[data-testid="worker-restart"]'));
  const dismiss = /** @type {HTMLElement} */ (banner.querySelector('[data-testid="worker-dismiss"]'));
  app.on('crash', ({ message, restarting }) => {
    /** @type {HTMLElement} */ (banner.querySelector('[data-testid="worker-crash-message"]')).textContent = restarting
      ? `${message} A new worker was started with the last saved model.`
      : `${message} The last saved model is safe.`;
    restart.hidden = restarting;
    dismiss.hidden = !restarting;
    banner.hidden = false;
  });
  restart.addEventListener('click', async () => {
    banner.hidden = true;
    await app.restart();
  });
  dismiss.addEventListener('click', () => { banner.hidden = true; });
}
