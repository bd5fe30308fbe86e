// @ts-check
// The training worker: owns the model (a wasm Session) and its dataset, streams MNIST in as it
// downloads (or reads another dataset whole: datasets.js), trains a few steps at a time so it can
// answer the page between them, and keeps the latest model and the user's datasets in IndexedDB. Started with the GPU build (core.js), it trains on the browser's
// GPU through WebGPU, and falls back to the CPU, saying why, where it cannot. Messages: see
// protocol.js.
import { loadCore, wasmMemoryBytes } from './core.js';
import { PROGRESS_INTERVAL_MS, RUN_STATES } from './protocol.js';
import { streamSplit } from './data-files.js';
import { readBuiltin, readFiles } from './datasets.js';
import { Run } from './run.js';
import {
  saveModel, loadModel, clearModel, markRestoring, restoreDied,
  saveDataset, loadDataset, listDatasets, deleteDataset, saveDatasetInUse, loadDatasetInUse,
} from './storage.js';
import { singleThreadReason, startReplica } from './threads.js';
/**
 * @import { About, Commands, DatasetChoice, Events, ModelEvent, Requests, RunState, Settings, Split,
 *   ToWorker } from './protocol.js'
 */

/** Test images measured between two looks at the message queue. */
const EVAL_SLICE = 500;
/** @type {Split[]} */
const SPLITS = ['train', 'test'];
/** @type {any} the core's exports (untyped: the wasm build ships no types) */
let core = null;
const ready = loadCore().then((c) => { core = c; });
/** @type {any} the core's Session, from `init` on */
let session = null;
/** @type {ModelEvent['restored']} while the model is the one restored from browser storage */
let restored = null;
let generation = 0; // bumped whenever the model is replaced or a run begins: a measurement of the old one is dropped
/** @type {Worker | null} the replica worker computing half of each batch, starting or attached */
let replica = null;
let replicaGeneration = 0; // bumped whenever the replica is replaced: a late 'ready' is dropped
/** @type {Record<Split, Promise<boolean> | null>} resolved when each split is complete */
let loaded = { train: null, test: null };
let counts = { train: 0, test: 0 };
/** @type {DatasetChoice} the dataset in use, from `init` on */
let choice = /** @type {any} */ (null);
let dataGeneration = 0; // bumped when the dataset changes: a download of the old one stops adding

/**
 * Tells the page of an event (protocol.js's Events).
 * @template {keyof Events} T
 * @param {T} type
 * @param {Events[T]} body
 * @param {Transferable[]} [transfer]
 */
const post = (type, body, transfer = []) => postMessage({ type, ...body }, transfer);
const run = new Run((state) => post('state', { state }));
/** No step is being taken: the run is idle, paused or done. */
const atRest = () => ['idle', 'paused', 'done'].includes(run.state);

/**
 * A trap (wasm's `unreachable`, or memory that cannot grow) leaves the wasm instance unusable:
 * wasm-bindgen keeps the session borrowed, so every later call would fail. The worker says so
 * once and answers nothing more; the page throws it away and starts a new one, which restores
 * the last model kept in the browser.
 */
const isTrap = (err) => err instanceof WebAssembly.RuntimeError;
let dead = false;
function died(err) {
  if (dead) return;
  dead = true;
  run.end();
  post('trap', { message: err.message });
}
self.addEventListener('unhandledrejection', (e) => {
  if (isTrap(e.reason)) died(e.reason);
});
// Lets queued messages (pause, predict…) run between training calls without a timer's delay.
const channel = new MessageChannel();
const yielded = [];
channel.port1.onmessage = () => yielded.shift()?.();
const yieldToEvents = () => new Promise((resolve) => { yielded.push(resolve); channel.port2.postMessage(null); });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Tells the page the model was replaced or its story changed (see protocol.js).
 * @param {ModelEvent['reason']} reason
 */
function announce(reason) {
  post('model', {
    reason, layers: session.layers(), params: session.num_params(), spec: session.spec(), history: session.history(), restored,
  });
}

/**
 * A session from the page's settings for a dataset (the core's About). A network the core
 * refuses (a link's architecture that cannot be built, say) is explained, and the tutorial's is
 * used instead.
 * @param {Settings} settings
 */
function newSession(settings, about) {
  try {
    return new core.Session(settings.spec ?? null, settings.config ?? null, settings.seed ?? 0, about);
  } catch (err) {
    if (isTrap(err)) throw err;
    post('error', { message: `The architecture asked for cannot be used (${err.message}); the tutorial's network is used instead.`, fatal: false });
    return new core.Session(null, null, 0, about);
  }
}

const builtin = (key) => core.builtin_datasets().find((b) => b.key === key);
/** The seed a model fitted to new data is initialised with: the run's. */
const seed = () => run.config?.seed ?? 0;

/**
 * The dataset to start with: the one the link names (a built-in's key, or the name of one kept
 * in this browser), else the one in use at the last visit, else MNIST. Resolves to {choice,
 * about, reader}: a kept dataset is read now (its reader waits for the session).
 * @param {string} [asked]
 * @returns {Promise<{choice: DatasetChoice, about: About, reader: any}>}
 */
async function firstDataset(asked) {
  /** @type {DatasetChoice | null} */
  let wanted = asked ? (builtin(asked) ? { kind: 'builtin', key: asked } : { kind: 'stored', name: asked }) : null;
  wanted ??= await loadDatasetInUse().catch(() => null);
  if (wanted?.kind === 'stored') {
    try {
      const stored = await loadDataset(wanted.name);
      if (!stored) throw new Error('it is not kept in this browser');
      const reader = core.DatasetReader.stored(stored.bytes);
      return { choice: wanted, about: reader.finish(), reader };
    } catch (err) {
      if (isTrap(err)) throw err;
      post('error', { message: `The dataset “${wanted.name}” could not be opened (${err.message}); MNIST is used instead.`, fatal: false });
    }
  }
  const b = builtin(wanted?.key) ?? builtin('mnist');
  return { choice: { kind: 'builtin', key: b.key }, about: b.about, reader: null };
}

/** The session holds the whole dataset: whatever was loading for the one before stops. */
function dataReady() {
  dataGeneration++;
  counts = { train: session.examples('train'), test: session.examples('test') };
  loaded = { train: Promise.resolve(true), test: Promise.resolve(true) };
}

/**
 * Starts loading the dataset chosen: a built-in with its own test set streams in (training can
 * start before it has all arrived); another is read whole, then handed to the session.
 */
function startData(reader) {
  if (reader) {
    session.use_dataset(reader, seed());
    return dataReady();
  }
  dataGeneration++;
  counts = { train: 0, test: 0 };
  loaded = { train: null, test: null };
  const b = builtin(choice.key);
  if (b.files.length === 4) return startLoading();
  const mine = dataGeneration;
  const whole = readBuiltin(core, b, (bytes, bytesTotal) => {
    for (const split of SPLITS) post('data', { split, name: b.name, loaded: 0, total: 0, bytes, bytesTotal, source: 'network' });
  }).then(({ reader, source, bytes }) => {
    if (mine !== dataGeneration) return false;
    session.use_dataset(reader, seed());
    counts = { train: session.examples('train'), test: session.examples('test') };
    // The bytes counted once, with the training split's report.
    for (const split of SPLITS) post('data', { split, name: b.name, loaded: counts[split], total: counts[split], bytes: split === 'train' ? bytes : 0, bytesTotal: bytes, source });
    post('dataset', { about: session.dataset(), choice });
    return true;
  }).catch((err) => {
    if (isTrap(err)) throw err;
    if (mine === dataGeneration) post('dataError', { split: 'train', message: err.message });
    return false;
  });
  loaded = { train: whole, test: whole };
}

/**
 * The session holds a new dataset (`next`, the choice to remember; null: the one it read, kept in
 * the browser now under its name), whole or (`whole` false) a built-in one to load now;
 * `replaced`: whether the model was replaced with it. Every panel hears of both.
 */
async function adoptData(next, replaced, whole) {
  choice = next ?? { kind: 'stored', name: session.dataset().name };
  // Before anything waits: what was loading for the dataset before stops adding to this one.
  if (whole) dataReady();
  else startData(null);
  if (!next) {
    try {
      await saveDataset(session.dataset(), session.dataset_file());
    } catch (err) {
      post('storage', { ok: false, reason: `the dataset could not be kept in this browser (${err.message ?? err}); it is used until the page is closed` });
    }
  }
  await saveDatasetInUse(choice).catch(() => {});
  if (replaced) restored = null;
  generation++;
  announce(replaced ? 'reset' : 'data');
  post('dataset', { about: session.dataset(), choice });
  syncThreads();
  await persist();
}

/**
 * Restores the model kept in the browser; true when it did. A stored model that cannot be
 * loaded — or that killed the worker the last time it was restored — is discarded with a
 * message, so it can never stop the page from starting.
 */
async function restore() {
  let stored;
  try {
    stored = await loadModel();
    if (!stored) return false;
    if (await restoreDied()) {
      await clearModel();
      await markRestoring(false);
      post('error', { message: 'The model kept in this browser stopped the training worker the last time it was restored, so it was discarded; a new model is used.', fatal: false });
      return false;
    }
    await markRestoring(true);
  } catch (err) {
    storageOk = false;
    post('storage', { ok: false, reason: err.message ?? String(err) });
    return false;
  }
  let ok = false;
  try {
    session.load(stored.bytes, undefined);
    restored = { savedAt: stored.savedAt };
    ok = true;
  } catch (err) {
    if (isTrap(err)) throw err; // the mark stays: the next worker discards this model
    await clearModel().catch(() => {});
    post('error', { message: `The model kept in this browser could not be restored and was discarded (${err.message}); a new model is used.`, fatal: false });
  }
  await markRestoring(false).catch(() => {});
  return ok;
}

/**
 * A new, untrained model from `settings`, kept in the browser as the latest.
 * @param {Settings} settings
 */
async function newModel(settings) {
  session.reset(settings.spec ?? null, settings.config ?? null, settings.seed ?? 0);
  run.end();
  run.apply(settings);
  restored = null;
  generation++;
  announce('reset');
  syncThreads();
  await persist();
}

/**
 * Streams one split of the built-in dataset in use (one with its own test set: MNIST) into the
 * session (data-files.js), saying how far it has come.
 * @param {Split} split
 */
function loadSplit(split) {
  const mine = dataGeneration;
  const b = builtin(choice.key);
  return streamSplit({
    core, session, dataset: b, split, current: () => mine === dataGeneration,
    progress: ({ loaded: n, total, bytes, bytesTotal, source }) => {
      counts[split] = n;
      post('data', { split, name: b.name, loaded: n, total, bytes, bytesTotal, source });
    },
  });
}

/**
 * Starts loading each split not loaded or loading; each promise resolves true when the split is
 * complete, false when its download failed (the page says so, and can ask to retry).
 */
function startLoading() {
  const mine = dataGeneration;
  for (const split of SPLITS) {
    loaded[split] ??= loadSplit(split).then(() => mine === dataGeneration, (err) => {
      if (isTrap(err)) throw err;
      if (mine === dataGeneration) post('dataError', { split, message: err.message });
      return false;
    });
  }
}

function stopReplica() {
  replicaGeneration++;
  session?.detach_replica();
  replica?.terminate();
  replica = null;
}

function replicaLost(message) {
  stopReplica();
  post('threads', { threads: 1, reason: `the second worker stopped (${message}); training goes on with one` });
}

/**
 * Gives the session the device to train on (the core's request_device: the browser's GPU in the
 * GPU build when there is one) and tells the page which, and why not the GPU where it could not
 * be had.
 */
async function chooseDevice() {
  const device = await core.request_device();
  post('device', session.use_device(device));
}

/** Starts or stops the replica so that the session trains on the workers the run wants. */
function syncThreads() {
  stopReplica();
  const reason = session.one_worker_reason() ?? (run.threads < 2 ? 'one worker was chosen' : singleThreadReason());
  if (reason) {
    post('threads', { threads: 1, reason });
    return;
  }
  const generation = replicaGeneration;
  const current = () => generation === replicaGeneration;
  post('threads', { threads: 1, reason: 'the second worker is starting' });
  const { worker, ready } = startReplica(session.spec(), run.config, (message) => { if (current()) replicaLost(message); });
  replica = worker;
  ready.then((buffer) => {
    if (!current()) return;
    session.attach_replica(buffer);
    post('threads', { threads: 2, reason: '' });
  }).catch((err) => {
    if (!current()) return;
    stopReplica();
    post('threads', { threads: 1, reason: `the second worker could not start: ${err.message}` });
  });
}

let storageOk = true;

/** Keeps the model in the browser; says when that stops or starts working again. */
async function persist() {
  try {
    await saveModel(session.save());
    if (!storageOk) post('storage', { ok: true });
    storageOk = true;
  } catch (err) {
    storageOk = false;
    post('storage', { ok: false, reason: err.message ?? String(err) });
  }
}

/**
 * Measures the model on the test set, a slice at a time so the worker answers between slices,
 * for as long as `wanted()` holds. Resolves to the test report, or to null when the test set
 * could not be loaded, the model changed or the measurement is no longer wanted.
 */
async function measure(wanted) {
  const mine = generation;
  const go = () => generation === mine && wanted();
  if (!(await loaded.test) || !go()) return null;
  for (;;) {
    const report = session.evaluate(EVAL_SLICE);
    if (report.done) return report;
    post('evaluating', { evaluated: report.evaluated, total: report.total });
    await yieldToEvents();
    if (!go()) return null;
  }
}

/**
 * The training loop: calls the session for a few steps at a time and acts on the events it
 * reports (protocol.js's `train` events, src/wasm/run.rs), until the run is paused, stopped,
 * replaced or done.
 */
async function trainLoop(training, latest) {
  let stepsPerCall = 2;
  let lastPost = performance.now();
  let since = { images: 0, loss: 0, correct: 0, time: performance.now() };
  let rate = 0;
  let points = [];
  let redraw = false;
  /** @type {any} the last call's progress (the core's `progress` event, src/wasm/run.rs) */
  let last = null;
  while (training()) {
    const t0 = performance.now();
    let events;
    try {
      // Done at once on the CPU; on the GPU once it has done them (the worker answers meanwhile).
      await session.train(stepsPerCall);
      events = session.report();
    } catch (err) {
      return isTrap(err) ? died(err) : fail(err.message);
    }
    if (events.length === 0) return; // the model was replaced while the steps were taken
    const dt = performance.now() - t0;
    /** @type {any} this call's progress */
    let r = null;
    let epochDone = null;
    let waiting = false;
    for (const e of events) {
      switch (e.type) {
        case 'progress': r = e; break;
        case 'replica_lost': replicaLost(e.reason); break; // the session went on alone
        case 'epoch': epochDone = e.record; break;
        case 'waiting_for_data': waiting = true; break;
        case 'diverged': return fail(`Training diverged: ${e.message}`, true);
        case 'failed': return fail(e.message);
        default: throw new Error(`unknown training event '${e.type}'`);
      }
    }
    // About 60 ms per call: short enough to pause promptly, long enough to cost nothing.
    if (r.steps > 0) stepsPerCall = Math.max(1, Math.min(64, Math.round((r.steps * 60) / Math.max(dt, 1))));
    since.images += r.seen; since.loss += r.loss * r.seen || 0; since.correct += r.correct;
    if (r.redraw) { points = []; redraw = true; }
    points.push(...r.points);
    last = r;
    if ((performance.now() - lastPost >= PROGRESS_INTERVAL_MS || epochDone) && since.images > 0) report();
    if (epochDone) {
      // The epoch's test score; a stop, a reset or an upload meanwhile ends the loop quietly.
      const test = await measure(latest);
      if (!latest()) return;
      post('epoch', { record: epochDone, test });
      announce('trained');
      await persist();
      if (!latest()) return;
      if (r.epoch >= run.epochs) {
        // Paused while the last epoch was measured is done too.
        if (run.state === 'training' || run.state === 'paused') run.moveTo('done');
        return;
      }
    }
    if (waiting) await sleep(30);
    else await yieldToEvents();
  }
  // Paused or stopped: the steps since the last report reach the charts, as they reached the
  // model's history, and the page sees the model as the loop left it.
  if (latest() && since.images > 0) report();
  if (latest() && run.state === 'paused') announce('trained');

  /** Posts the steps since the last report: their mean loss and accuracy, and their points. */
  function report() {
    const now = performance.now();
    const instant = (since.images * 1000) / (now - since.time);
    rate = rate ? 0.7 * rate + 0.3 * instant : instant;
    const remaining = (run.epochs - last.epoch + (1 - last.epoch_progress)) * last.epoch_images;
    post('progress', {
      epoch: last.epoch, epochs: run.epochs, epochProgress: last.epoch_progress, steps: last.total_steps,
      loss: since.loss / since.images, accuracy: since.correct / since.images,
      imagesPerSecond: rate, lr: last.lr, etaSeconds: remaining / rate, points, redraw,
    });
    lastPost = now;
    since = { images: 0, loss: 0, correct: 0, time: now };
    points = [];
    redraw = false;
  }

  /** A step failed and was not applied: the run pauses with the model before it, and says why. */
  function fail(message, diverged = false) {
    if (run.state === 'training') run.moveTo('paused');
    announce('trained');
    post('error', { message, fatal: false, diverged });
  }
}

/**
 * A request's answer and the buffers to move (not copy) with it.
 * @template Value
 */
class Transfer {
  /**
   * @param {Value} value
   * @param {Transferable[]} list
   */
  constructor(value, list) {
    this.value = value;
    this.list = list;
  }
}

/**
 * What a request's handler returns: its reply's value, or a Transfer of it.
 * @template Value
 * @typedef {Value | Transfer<Value> | Promise<Value | Transfer<Value>>} Answer
 */
/**
 * Every message's handler, by its type: a command's or a request's, each taking its body.
 * @typedef {{[T in keyof Commands]: (msg: Commands[T]) => void | Promise<void>}
 *   & {[T in keyof Requests]: (msg: Requests[T]['body']) => Answer<Requests[T]['value']>}} Handlers
 */

/** @type {Handlers} */
const handlers = {
  async init({ settings }) {
    const first = await firstDataset(settings.data);
    choice = first.choice;
    session = newSession(settings, first.about);
    run.apply(settings);
    if (first.reader) startData(first.reader); // before the restore: the model is checked against it
    const reason = (await restore()) ? 'restored' : 'new';
    await chooseDevice();
    run.moveTo('idle'); // a restarted worker starts idle, whatever the old one was doing
    announce(reason);
    post('dataset', { about: session.dataset(), choice });
    syncThreads();
    if (!first.reader) startData(null);
  },
  /**
   * Trains on another dataset: a built-in (`key`), one kept in this browser (`name`), or the
   * user's `files` ([{file, path}], images made `size` [width, height], [0, 0] for their own).
   * The dataset in use and the model stay until the new one is read whole; the model stays if
   * it fits the new data, else a new one of its architecture is fitted to it.
   */
  async useData({ key, name, files, size }) {
    if (!atRest()) throw new Error('stop training first: the dataset changes what the model learns');
    /** @type {any} the core's DatasetReader */
    let reader = null;
    /** @type {DatasetChoice | undefined} */
    let next;
    if (key) {
      const b = builtin(key);
      if (!b) throw new Error(`there is no built-in dataset '${key}'`);
      next = { kind: 'builtin', key };
    } else if (name) {
      const stored = await loadDataset(name);
      if (!stored) throw new Error(`the dataset “${name}” is not kept in this browser`);
      reader = core.DatasetReader.stored(stored.bytes);
      reader.finish();
      next = { kind: 'stored', name };
    } else {
      ({ reader } = await readFiles(core, files, size ?? [0, 0], (stage, done, total) => post('dataProgress', { stage, done, total })));
    }
    run.end();
    run.moveTo('idle');
    let replaced;
    if (reader) {
      replaced = session.use_dataset(reader, seed());
    } else {
      replaced = session.expect_dataset(builtin(key).about, seed());
    }
    await adoptData(next, replaced, Boolean(reader));
    return { about: session.dataset(), replaced };
  },
  /**
   * Teaches the classes drawn in the Draw panel: `images` holds one drawing per label, prepared
   * as MNIST's digits (bytes). They become the dataset, kept in the browser, and a new model of
   * the current architecture is fitted to them; with `fineTune` it starts from the current
   * model's layers (all that fit but the last). Returns the layers taken.
   */
  async teach({ name, classes, images, labels, fineTune }) {
    if (!atRest()) throw new Error('stop training first: teaching makes a new model');
    const reader = core.DatasetReader.drawn(name, classes, images, labels);
    run.end();
    run.moveTo('idle');
    const taken = session.teach(reader, fineTune, seed());
    await adoptData(null, true, true);
    return { about: session.dataset(), taken };
  },
  /**
   * Learns that the input `pixels` is of class `label` ("that was a 7"): the model is fine-tuned
   * on the corrections so far until it reads each right (src/wasm/teach.rs). A paused run ends.
   */
  async correct({ pixels, label }) {
    if (!atRest()) throw new Error('pause or stop training first');
    const result = session.correct(pixels, label);
    run.end();
    run.moveTo('idle');
    generation++;
    announce('corrected');
    await persist();
    return result;
  },
  /** The datasets kept in this browser: [{name, about, size, savedAt}]. */
  datasets() {
    return listDatasets();
  },
  async deleteData({ name }) {
    if (choice?.kind === 'stored' && choice.name === name) throw new Error('that dataset is in use: choose another first');
    await deleteDataset(name);
  },
  async start({ settings, fresh }) {
    if (!atRest()) return;
    restored = null; // from here on it is a model trained here
    if (fresh) {
      await newModel(settings);
    } else {
      session.configure(settings.config);
      run.apply(settings);
      generation++;
      announce('configured');
      syncThreads();
    }
    // Unless a reset, an upload or a measurement came meanwhile.
    if (atRest()) run.train(trainLoop);
  },
  resume() {
    if (run.state === 'paused') run.train(trainLoop);
  },
  pause() {
    if (run.state === 'training') run.moveTo('paused');
  },
  // Downloads again what failed; what has arrived is kept.
  async retryData() {
    if (choice.kind !== 'builtin') return;
    if (builtin(choice.key).files.length !== 4) {
      if (!(await loaded.train)) startData(null);
      return;
    }
    for (const split of SPLITS) {
      if (loaded[split] && !(await loaded[split])) loaded[split] = null;
    }
    startLoading();
  },
  // 'idle' is said only once the loop has ended and the model is stored, so a reload right
  // after Stop restores it.
  async stop() {
    if (run.state !== 'training' && run.state !== 'paused') return;
    run.end();
    run.moveTo('stopping');
    await run.looping;
    await persist();
    // Widened: the messages handled while it waited may have moved the run.
    if (/** @type {RunState} */ (run.state) === 'stopping') {
      run.moveTo('idle');
      announce('trained');
    }
  },
  async reset({ settings }) {
    run.end();
    run.moveTo('idle');
    await newModel(settings);
  },
  set({ lr, batchSize, epochs: n, threads }) {
    if (lr !== undefined) session.set_lr(lr);
    if (batchSize !== undefined) session.set_batch_size(batchSize);
    if (n !== undefined) run.epochs = n;
    if (threads !== undefined && threads !== run.threads) {
      run.threads = threads;
      syncThreads();
    }
  },
  // Predictions and inspection run on the device that holds the model.
  async predict({ pixels }) {
    const probabilities = await session.predict(pixels);
    return new Transfer({ probabilities }, [probabilities.buffer]);
  },
  inspect({ pixels }) {
    return session.inspect(pixels);
  },
  async testImage({ index }) {
    // The test set may still be arriving: wait for this image, or for the load to end.
    let ended = false;
    loaded.test?.then(() => { ended = true; });
    while (session.examples('test') <= index && !ended) await sleep(50);
    const pixels = session.test_image(index);
    const { shape } = session.dataset();
    return new Transfer({ index, pixels, shape, label: session.test_label(index) }, [pixels.buffer]);
  },
  diagnostics() {
    return { wasmBytes: wasmMemoryBytes(), steps: session.history().steps };
  },
  async save({ format = 'safetensors' }) {
    const bytes = session.export(format);
    return new Transfer({ bytes }, [bytes.buffer]);
  },
  // Keeps the model in the browser now (before the page replaces this worker).
  keep() {
    return persist();
  },
  async load({ bytes, name }) {
    const historyNote = session.load(bytes, name);
      run.end();
    restored = null;
    generation++;
    run.moveTo('idle');
    announce('uploaded');
    syncThreads(); // the loaded network may have another architecture
    await persist();
    return { historyNote: historyNote ?? '' };
  },
  async evaluate() {
    if (run.state === 'evaluating') throw new Error('the model is being measured already');
    if (!RUN_STATES[run.state].includes('evaluating')) throw new Error('training is running: pause or stop it first');
    const before = run.state;
    run.moveTo('evaluating');
    try {
      const report = await measure(() => run.state === 'evaluating');
      if (!report) {
        throw new Error((await loaded.test) ? 'the measurement was interrupted: the model changed' : `the ${session.dataset().name} test set could not be loaded`);
      }
      announce('evaluated');
      await persist();
      return report;
    } finally {
      // Widened, as in `stop`: a reset or an upload meanwhile has moved the run.
      if (/** @type {RunState} */ (run.state) === 'evaluating') run.moveTo(before);
    }
  },
};

/** @param {MessageEvent<ToWorker>} message */
onmessage = async ({ data: msg }) => {
  if (dead) return; // the page is replacing this worker
  const reply = (body, transfer = []) => postMessage({ type: 'reply', id: msg.id, ...body }, transfer);
  try {
    await ready;
    if (!session && msg.type !== 'init') throw new Error('the worker has no model yet');
    // The table's type pairs each handler with its own message.
    const handler = /** @type {((msg: ToWorker) => unknown) | undefined} */ (handlers[msg.type]);
    if (!handler) throw new Error(`unknown message '${msg.type}'`);
    const result = await handler(msg);
    if (msg.id === undefined) return;
    if (result instanceof Transfer) reply({ ok: true, value: result.value }, result.list);
    else reply({ ok: true, value: result });
  } catch (err) {
    if (isTrap(err)) return died(err);
    const error = { message: err.message ?? String(err), kind: err.kind ?? '', detail: err.detail ?? '' };
    if (msg.id !== undefined) reply({ ok: false, error });
    else post('error', { ...error, fatal: false });
  }
};
