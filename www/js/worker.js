// @ts-check
// The training worker: answers the page's messages (protocol.js) and runs the training loop, a
// few steps per call to the model (a wasm Session) so it answers the page between them. Its
// parts: the dataset in use and its loading (dataset-in-use.js), the model the browser keeps
// (kept-model.js), the replica worker that trains half of each batch (threads.js) and the run's
// state (run.js). Started with the GPU build (core.js), the session trains on the browser's GPU
// through WebGPU, and on the CPU, saying why, where it cannot.
import { isTrap, loadCore, wasmMemoryBytes } from './core.js';
import { builtin, DatasetInUse, firstDataset } from './dataset-in-use.js';
import { readFiles } from './datasets.js';
import { KeptModel } from './kept-model.js';
import { PROGRESS_INTERVAL_MS, RUN_STATES } from './protocol.js';
import { Run } from './run.js';
import { deleteDataset, listDatasets, loadDataset } from './storage.js';
import { Replica } from './threads.js';
/**
 * @import { Commands, DatasetChoice, Events, ModelEvent, Post, Requests, RunState, Settings,
 *   ToWorker } from './protocol.js'
 */

/** Test images measured between two looks at the message queue. */
const EVAL_SLICE = 500;
/** @type {any} the core's exports (untyped: the wasm build ships no types) */
let core = null;
const ready = loadCore().then((c) => { core = c; });
/** @type {any} the core's Session, from `init` on */
let session = null;
let generation = 0; // bumped whenever the model is replaced or a run begins: a measurement of the old one is dropped
/** @type {DatasetInUse} from `init` on */
let data = /** @type {any} */ (null);
/** @type {Replica} from `init` on */
let replica = /** @type {any} */ (null);

/** Tells the page of an event (protocol.js's Events). @type {Post} */
const post = (type, body, transfer = []) => postMessage({ type, ...body }, transfer);
const kept = new KeptModel(post);
const run = new Run((state) => post('state', { state }));
/** No step is being taken: the run is idle, paused or done. */
const atRest = () => ['idle', 'paused', 'done'].includes(run.state);

/**
 * After a trap (core.js's isTrap) every call to the session would fail. The worker says so once
 * and answers nothing more; the page throws it away and starts a new one, which restores the last
 * model kept in the browser.
 */
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
    reason, layers: session.layers(), params: session.num_params(), spec: session.spec(), history: session.history(), restored: kept.restored,
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

/**
 * A new, untrained model from `settings`, kept in the browser as the latest.
 * @param {Settings} settings
 */
async function newModel(settings) {
  session.reset(settings.spec ?? null, settings.config ?? null, settings.seed ?? 0);
  run.end();
  run.apply(settings);
  replaced('reset');
  await kept.keep(session);
}

/**
 * The model was replaced or changed outside a run: a measurement of the old one is dropped, the
 * page hears of it, and the replica starts again for its network.
 * @param {ModelEvent['reason']} reason
 */
function replaced(reason) {
  kept.restored = null;
  generation++;
  announce(reason);
  replica.sync(run);
}

/**
 * The session holds a new dataset (`next`, the choice to remember; null: the one it read, kept in
 * the browser now under its name), whole or (`whole` false) a built-in one to load now;
 * `fitted`: whether the model was replaced with one fitted to it. Every panel hears of both.
 * @param {DatasetChoice | undefined | null} next
 * @param {boolean} fitted
 * @param {boolean} whole
 */
async function adoptData(next, fitted, whole) {
  await data.adopt(next, whole);
  if (fitted) kept.restored = null;
  generation++;
  announce(fitted ? 'reset' : 'data');
  post('dataset', { about: session.dataset(), choice: data.choice });
  replica.sync(run);
  await kept.keep(session);
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

/**
 * Measures the model on the test set, a slice at a time so the worker answers between slices,
 * for as long as `wanted()` holds. Resolves to the test report, or to null when the test set
 * could not be loaded, the model changed or the measurement is no longer wanted.
 */
async function measure(wanted) {
  const mine = generation;
  const go = () => generation === mine && wanted();
  if (!(await data.loaded.test) || !go()) return null;
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
        case 'replica_lost': replica.lost(e.reason); break; // the session went on alone
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
      await kept.keep(session);
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
    const first = await firstDataset(core, settings.data, post);
    session = newSession(settings, first.about);
    data = new DatasetInUse({ core, session, choice: first.choice, post, seed: () => run.config?.seed ?? 0 });
    replica = new Replica(session, (threads, reason) => post('threads', { threads, reason }));
    run.apply(settings);
    if (first.reader) data.start(first.reader); // before the restore: the model is checked against it
    const reason = (await kept.restore(session)) ? 'restored' : 'new';
    await chooseDevice();
    run.moveTo('idle'); // a restarted worker starts idle, whatever the old one was doing
    announce(reason);
    post('dataset', { about: session.dataset(), choice: data.choice });
    replica.sync(run);
    if (!first.reader) data.start();
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
      if (!builtin(core, key)) throw new Error(`there is no built-in dataset '${key}'`);
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
    const fitted = reader ? session.use_dataset(reader, data.seed()) : session.expect_dataset(builtin(core, key).about, data.seed());
    await adoptData(next, fitted, Boolean(reader));
    return { about: session.dataset(), replaced: fitted };
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
    const taken = session.teach(reader, fineTune, data.seed());
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
    await kept.keep(session);
    return result;
  },
  /** The datasets kept in this browser: [{name, about, size, savedAt}]. */
  datasets() {
    return listDatasets();
  },
  async deleteData({ name }) {
    const { choice } = data;
    if (choice.kind === 'stored' && choice.name === name) throw new Error('that dataset is in use: choose another first');
    await deleteDataset(name);
  },
  async start({ settings, fresh }) {
    if (!atRest()) return;
    // From here on it is a model trained here, not the one restored.
    if (fresh) {
      await newModel(settings);
    } else {
      session.configure(settings.config);
      run.apply(settings);
      replaced('configured');
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
  retryData() {
    return data.retry();
  },
  // 'idle' is said only once the loop has ended and the model is stored, so a reload right
  // after Stop restores it.
  async stop() {
    if (run.state !== 'training' && run.state !== 'paused') return;
    run.end();
    run.moveTo('stopping');
    await run.looping;
    await kept.keep(session);
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
      replica.sync(run);
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
    await data.testImageArrived(index);
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
    return kept.keep(session);
  },
  async load({ bytes, name }) {
    const historyNote = session.load(bytes, name);
    run.end();
    run.moveTo('idle');
    replaced('uploaded'); // the replica too: the loaded network may have another architecture
    await kept.keep(session);
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
        throw new Error((await data.loaded.test) ? 'the measurement was interrupted: the model changed' : `the ${session.dataset().name} test set could not be loaded`);
      }
      announce('evaluated');
      await kept.keep(session);
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
