// @ts-check
// The messages between the page and the training worker (worker.js), in one place: their shapes
// are the types below, checked by tsc (scripts/test.sh), so a sender, a handler and a listener
// that disagree fail the tests.
//
// The worker owns the model (a wasm `Session`) and its dataset; the page only asks and draws.
// Big arrays travel as transferable typed arrays, never JSON.
//
// Page → worker. Commands carry no id; requests carry one and get exactly one `reply`.
// Worker → page. A reply answers one request; every other message is an event, which never
// carries an id: the two cannot be confused.

/**
 * The core's values, as its wasm functions return them (the wasm build ships no types: these
 * only name them).
 * @typedef {any} About  a dataset: src/data/dataset.rs's About (name, shape, classes, the
 *   splits' sizes so far…) with its `test_note`
 * @typedef {any} Spec  a network: the core's list of layer specs (src/nn/spec.rs)
 * @typedef {any} TrainConfig  the core's training settings (src/train/)
 * @typedef {any} History  a model's story: the core's History (src/train/history.rs)
 * @typedef {any} EpochRecord  one epoch of the History's `epochs`
 * @typedef {any} ImageShape  {channels, height, width}
 */

/**
 * What `init`, `start` and `reset` take: settings.js's `workerSettings`.
 * @typedef {object} Settings
 * @property {Spec | null} spec  null: the tutorial's network
 * @property {TrainConfig | null} config  null: the core's default, the tutorial's
 * @property {number} seed
 * @property {number} epochs
 * @property {number} threads  workers wanted (1 or 2)
 * @property {'cpu' | 'gpu'} device  'gpu' starts the worker with the GPU build (core.js's
 *   `workerUrl`)
 * @property {string} [data]  a built-in's key or a kept dataset's name, else the last one used
 */

/** @typedef {'train' | 'test'} Split */
/**
 * The dataset in use and how it was chosen.
 * @typedef {{kind: 'builtin', key: string, name?: undefined}
 *   | {kind: 'stored', name: string, key?: undefined}} DatasetChoice
 */
/**
 * One of the user's files, with its path below the folder chosen (its name when dropped alone).
 * @typedef {{file: File, path: string}} UserFile
 */

/**
 * A measurement on the test set (src/wasm/evaluation.rs).
 * @typedef {object} TestReport
 * @property {number} accuracy
 * @property {number} correct
 * @property {number} total
 * @property {number} loss
 * @property {number[]} confusion  classes × classes, row: the label, column: the prediction
 * @property {{index: number, label: number, predicted: number}[]} misclassified  the first 64
 */

/**
 * What the layers panel draws of one image, computed on the device that holds the model
 * (src/wasm/inspect.rs).
 * @typedef {object} Inspection
 * @property {{name: string, kind: string, signed: boolean, kernels: boolean, shape: number[],
 *   data: Float32Array}[]} layers  each layer's output, its shape without the batch dimension
 * @property {{name: string, shape: number[], data: Float32Array}[]} kernels  by their layer's name
 * @property {Float32Array} saliency
 * @property {Float32Array} probabilities
 */

/**
 * Page → worker commands, each one's body by its `type`. A failure comes back as an `error`
 * event.
 * @typedef {object} Commands
 * @property {{settings: Settings}} init  a model from settings (or the one kept in the browser)
 * @property {{settings: Settings, fresh: boolean}} start  fresh: a new model from settings, then
 *   train; otherwise a new run of the current model with settings' training settings (its
 *   weights and story kept)
 * @property {{}} pause
 * @property {{}} resume
 * @property {{}} stop
 * @property {{}} retryData  downloads again the built-in dataset's files that failed
 * @property {{settings: Settings}} reset  a new, untrained model
 * @property {{lr?: number, batchSize?: number, epochs?: number, threads?: number}} set  while a
 *   run goes on
 */

/**
 * A request's body and the value its reply carries.
 * @template Body, Value
 * @typedef {{body: Body, value: Value}} Ask
 */

/**
 * Page → worker requests, each one's body and answer by its `type`.
 * @typedef {object} Requests
 * @property {Ask<{key?: string, name?: string, files?: UserFile[], size?: [number, number]},
 *   {about: About, replaced: boolean}>} useData  trains on a built-in dataset (key), one kept in
 *   this browser (name), or the user's files, images made `size` [w, h] ([0, 0]: their own),
 *   kept in the browser; `dataset` and `model` events follow. The dataset in use stays if it
 *   fails.
 * @property {Ask<{}, {name: string, about: About, size: number, savedAt: number}[]>} datasets
 *   those kept here
 * @property {Ask<{name: string}, void>} deleteData  deletes one kept here (not the one in use)
 * @property {Ask<{name: string, classes: string[], images: Uint8Array, labels: Uint8Array,
 *   fineTune: boolean}, {about: About, taken: string[]}>} teach  the drawings (`images`: one
 *   MNIST-shaped drawing per label) become the dataset (kept here) and a model fitted to them,
 *   from the current one's layers (`taken`) when fine-tuned; `dataset` and `model` (reason
 *   'reset') follow
 * @property {Ask<{pixels: Float32Array, label: number},
 *   {steps: number, corrections: number, learnt: boolean, seconds: number}>} correct  "that was
 *   a 7", learnt now ('corrected' model event)
 * @property {Ask<{pixels: Float32Array}, {probabilities: Float32Array}>} predict  pixels: C·H·W;
 *   one probability per class
 * @property {Ask<{pixels: Float32Array}, Inspection>} inspect
 * @property {Ask<{index: number},
 *   {index: number, pixels: Uint8Array, shape: ImageShape, label: number}>} testImage
 *   pixels: C·H·W
 * @property {Ask<{format?: string}, {bytes: Uint8Array<ArrayBuffer>}>} save  the model in one
 *   of the core's export_formats (safetensors, the default, onnx, pytorch, pdparams)
 * @property {Ask<{bytes: Uint8Array, name: string}, {historyNote: string}>} load  and a `model`
 *   event
 * @property {Ask<{}, TestReport>} evaluate  and a `model` event
 * @property {Ask<{}, {wasmBytes: number, steps: number}>} diagnostics  the worker's wasm memory
 * @property {Ask<{}, void>} keep  the model kept in the browser now (before the page replaces
 *   the worker to train on another device)
 */

/**
 * A message to the worker: a command or a request, tagged with its `type`.
 * @typedef {{[T in keyof Commands]: {type: T, id?: undefined} & Commands[T]}[keyof Commands]
 *   | {[T in keyof Requests]: {type: T, id: number} & Requests[T]['body']}[keyof Requests]} ToWorker
 */

/**
 * Why a request failed: `kind` is the core's (src/error.rs: invalid, format, file, …) or '' for
 * the worker's own.
 * @typedef {{message: string, kind: string, detail: string}} Failure
 */
/**
 * The answer to a request: its value, or why it failed.
 * @typedef {{type: 'reply', id: number, ok: true, value: any}
 *   | {type: 'reply', id: number, ok: false, error: Failure}} Reply
 */

/**
 * The model was replaced or its story changed.
 * @typedef {object} ModelEvent
 * @property {'new' | 'restored' | 'uploaded' | 'reset' | 'configured' | 'trained' | 'evaluated'
 *   | 'corrected' | 'data'} reason  'configured': a new run on its weights; 'data': another
 *   dataset, the model kept (it fits)
 * @property {any[]} layers  the core's description of each layer
 * @property {number} params
 * @property {Spec} spec
 * @property {History} history
 * @property {{savedAt: number} | null} restored  while the model is the one restored from the
 *   browser
 */

/**
 * Worker → page events, each one's body by its `type`.
 * @typedef {object} Events
 * @property {ModelEvent} model
 * @property {{state: RunState}} state  the run's state moved (RUN_STATES below)
 * @property {{split: Split, name: string, loaded: number, total: number, bytes: number,
 *   bytesTotal: number, source: 'network' | 'cache'}} data  a built-in dataset arriving, bytes
 *   as transferred (gzip; total 0 while a whole-read one downloads); 'cache': this browser's
 *   copy from an earlier visit
 * @property {{about: About, choice: DatasetChoice}} dataset  the dataset in use: said at init and
 *   whenever it changes
 * @property {{stage: 'reading' | 'decoding' | 'checking', done: number,
 *   total: number}} dataProgress  the user's files being read
 * @property {{split: Split, message: string}} dataError  a split's download failed; what arrived
 *   is kept
 * @property {{epoch: number, epochs: number, epochProgress: number, steps: number, loss: number,
 *   accuracy: number, imagesPerSecond: number, lr: number, etaSeconds: number,
 *   points: [number, number, number][], redraw: boolean}} progress  points: the history's new
 *   curve points ([epochs, loss, accuracy]); redraw: the whole curve comes again (it was thinned)
 * @property {{evaluated: number, total: number}} evaluating  a measurement on the test set,
 *   part-way
 * @property {{record: EpochRecord, test: TestReport | null}} epoch  an epoch's record in the
 *   history and its test report
 * @property {{threads: number, reason: string}} threads  1 or 2, and why only 1 (or '')
 * @property {{device: 'cpu', info: null, reason: string}
 *   | {device: 'gpu', info: {name: string, backend: string, software: boolean}, reason: ''}} device
 *   which device trains (said once, at init), and why not the GPU when it was asked for
 * @property {{ok: boolean, reason?: string}} storage  whether the browser keeps the model
 *   (storage full or blocked)
 * @property {{message: string, fatal: boolean, diverged?: boolean, kind?: string,
 *   detail?: string}} error  a failure no request was waiting for (a command's carries its
 *   Failure's kind and detail)
 * @property {{message: string}} trap  the wasm instance trapped; the worker answers nothing more
 *   and the page replaces it (app.js)
 */

/** @typedef {{[T in keyof Events]: {type: T} & Events[T]}[keyof Events]} WorkerEvent */
/**
 * How the training worker's parts tell the page of an event.
 * @typedef {<T extends keyof Events>(type: T, body: Events[T], transfer?: Transferable[]) => void} Post
 */

/** Each built-in dataset's file (`key/file`) as the site names it: scripts/build-site.mjs fills
 * this in with content-hashed names; in www/ the files keep their own. */
const DATA_FILES = {};
/** The address of a built-in dataset's file (the core's `builtin_datasets` lists them),
 * relative to this module, so the worker (in js/) and the page resolve the same files. */
export const dataUrl = (key, file) => new URL(`../data/${DATA_FILES[`${key}/${file}`] ?? `${key}/${file}`}`, import.meta.url).href;

/**
 * A run's states, and where each may move (run.js enforces it). A run starts while MNIST is
 * still arriving: waiting for data is part of 'training'. Reset and an upload end any run
 * ('idle'); a new worker starts 'idle'.
 *   idle        no run: the model is ready         → training (Start), evaluating
 *   training    the loop trains                    → paused (Pause, or a step failed), stopping
 *                                                    (Stop), done (the last epoch), idle
 *   paused      the loop has ended; Resume goes on → training, stopping, evaluating, idle, done
 *                                                    (paused as the last epoch was measured)
 *   stopping    Stop: the loop ends, the model is stored → idle
 *   done        the last epoch ended               → training (Start), evaluating, idle
 *   evaluating  measuring the model on the test set → back to where it came from, or idle
 */
export const RUN_STATES = {
  idle: ['training', 'evaluating'],
  training: ['paused', 'stopping', 'done', 'idle'],
  paused: ['training', 'stopping', 'evaluating', 'idle', 'done'],
  stopping: ['idle'],
  done: ['training', 'evaluating', 'idle'],
  evaluating: ['idle', 'paused', 'done'],
};
/** @typedef {keyof typeof RUN_STATES} RunState */

/** Progress messages are sent at most this often, so drawing never slows training. */
export const PROGRESS_INTERVAL_MS = 125;

/** An error from the worker: a plain message, its kind, and the technical detail if any. */
export class WorkerError extends Error {
  /** @param {{message: string, kind?: string, detail?: string}} failure */
  constructor({ message, kind = '', detail = '' }) {
    super(message);
    this.kind = kind;
    this.detail = detail;
  }
}

/** A promise-based request/response wrapper around a worker. */
export class WorkerClient {
  /**
   * @param {Worker} worker
   * @param {(event: WorkerEvent) => void} onEvent
   */
  constructor(worker, onEvent) {
    this.worker = worker;
    this.nextId = 1;
    /** @type {Map<number, {resolve: (value: any) => void, reject: (err: WorkerError) => void}>} */
    this.pending = new Map();
    /** @param {MessageEvent<Reply | WorkerEvent>} message */
    worker.onmessage = ({ data }) => {
      if (data.type !== 'reply') {
        onEvent(data);
        return;
      }
      const waiting = this.pending.get(data.id);
      if (!waiting) return; // failed already, when the worker was restarted
      this.pending.delete(data.id);
      if (data.ok) waiting.resolve(data.value);
      else waiting.reject(new WorkerError(data.error));
    };
  }

  /**
   * Sends a command, which expects no answer.
   * @template {keyof Commands} T
   * @param {T} type
   * @param {Commands[T]} [body]
   * @param {Transferable[]} [transfer]
   */
  send(type, body = /** @type {Commands[T]} */ ({}), transfer = []) {
    this.worker.postMessage({ type, ...body }, transfer);
  }

  /**
   * Sends a request and resolves with the worker's reply.
   * @template {keyof Requests} T
   * @param {T} type
   * @param {Requests[T]['body']} [body]
   * @param {Transferable[]} [transfer]
   * @returns {Promise<Requests[T]['value']>}
   */
  request(type, body = /** @type {Requests[T]['body']} */ ({}), transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...body }, transfer);
    });
  }

  /**
   * Fails every request still waiting (the worker died).
   * @param {string} message
   */
  failAll(message) {
    for (const { reject } of this.pending.values()) reject(new WorkerError({ message }));
    this.pending.clear();
  }
}
