// The messages between the page and the training worker (worker.js), in one place.
//
// The worker owns the model (a wasm `Session`) and its dataset; the page only asks and draws.
// Big arrays travel as transferable typed arrays, never JSON.
//
// Page → worker. Commands carry no id; requests carry one and get exactly one `reply`.
//   init      {settings}                 a model from settings (or the one kept in the browser)
//   start     {settings, fresh}          fresh: a new model from settings, then train; otherwise
//                                        a new run of the current model with settings' training
//   pause | resume | stop                settings (its weights and story kept)
//   retryData {}                         downloads again the built-in dataset's files that failed
//   useData   {id, key | name | files, size}  → {about, replaced}: trains on a built-in dataset
//                                        (key), one kept in this browser (name), or the user's
//                                        files ([{file, path}], images made size [w, h], [0, 0]:
//                                        their own), kept in the browser; `dataset` and `model`
//                                        events follow. The dataset in use stays if it fails.
//   datasets  {id}                       → [{name, about, size, savedAt}]: those kept here
//   deleteData {id, name}                deletes one kept here (not the one in use)
//   teach     {id, name, classes, images: Uint8Array (one MNIST-shaped drawing per label), labels,
//              fineTune}                 → {about, taken}: the drawings become the dataset (kept
//                                          here) and a model fitted to them, from the current
//                                          one's layers (`taken`) when fine-tuned; `dataset` and
//                                          `model` (reason 'reset') follow
//   correct   {id, pixels, label}        → {steps, corrections, learnt, seconds}: "that was a 7",
//                                          learnt now ('corrected' model event)
//   reset     {settings}                 a new, untrained model
//   set       {lr?, batchSize?, epochs?, threads?}   while a run goes on
//   predict   {id, pixels: Float32Array(C·H·W)}      → {probabilities: Float32Array(classes)}
//   inspect   {id, pixels}               → {layers: [{name, kind, signed, kernels, shape, data}], kernels:
//                                           [{name, shape, data}], saliency, probabilities}
//                                          (both computed on the device that holds the model)
//   testImage {id, index}                → {index, pixels: Uint8Array(C·H·W), shape, label}
//   save      {id, format}               → {bytes: Uint8Array}: the model in one of the core's
//                                          export_formats (safetensors, onnx, pytorch, pdparams)
//   load      {id, bytes, name}          → {historyNote}   and a `model` event
//   evaluate  {id}                       → the test report   and a `model` event
//   diagnostics {id}                     → {wasmBytes, steps}: the worker's wasm memory
//   keep      {id}                       → the model kept in the browser now (before the page
//                                          replaces the worker to train on another device)
// where settings = {spec, config, seed, epochs, threads, device, data} (train.js's
// `workerSettings`; data: a built-in's key or a kept dataset's name, else the last one used);
// device 'gpu' starts the worker with the GPU build (core.js's `workerUrl`).
//
// Worker → page. A reply answers one request; every other message is an event, which never
// carries an id: the two cannot be confused.
//   reply      {id, ok: true, value} | {id, ok: false, error: {message, kind, detail}}: kind is
//              the core's (src/error.rs: invalid, format, file, …) or '' for the worker's own
//   model      {reason, layers, params, spec, history, restored}: the model was replaced or its
//              story changed. reason: 'new' | 'restored' | 'uploaded' | 'reset' | 'configured'
//              (a new run on its weights) | 'trained' | 'evaluated' | 'corrected' | 'data' (another dataset,
//              the model kept: it fits); restored: {savedAt} while
//              the model is the one restored from the browser, else null; history: the core's
//              History (src/train/history.rs).
//   state      {state}: the run's state moved (RUN_STATES below)
//   data       {split, name, loaded, total, bytes, bytesTotal, source}: a built-in dataset
//              arriving, bytes as transferred (gzip; total 0 while a whole-read one downloads);
//              source 'network' or 'cache' (this browser's copy from an earlier visit)
//   dataset    {about, choice}: the dataset in use (the core's About with test_note, the
//              splits' sizes so far) and how it was chosen ({kind: 'builtin', key} |
//              {kind: 'stored', name}); said at init and whenever it changes
//   dataProgress {stage: 'reading' | 'decoding' | 'checking', done, total}: the user's files
//   dataError  {split, message}: a split's download failed; what arrived is kept
//   progress   {epoch, epochs, epochProgress, steps, loss, accuracy, imagesPerSecond, lr,
//               etaSeconds, points, redraw}: points, the history's new curve points
//   evaluating {evaluated, total}: a measurement on the test set, part-way
//   epoch      {record, test}: an epoch's record in the history and its test report
//   threads    {threads: 1|2, reason: why only 1, or ''}
//   device     {device: 'cpu'|'gpu', info?: {name, backend, software}, reason: why not the GPU
//              when it was asked for, or ''}: which device trains (said once, at init)
//   storage    {ok, reason?}: whether the browser keeps the model (storage full or blocked)
//   error      {message, fatal, diverged?}: a failure no request was waiting for
//   trap       {message}: the wasm instance trapped; the worker answers nothing more and the
//              page replaces it (app.js)
//
// A test report: {accuracy, correct, total, loss, confusion, misclassified: [{index, label,
// predicted}]}.

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

/** Progress messages are sent at most this often, so drawing never slows training. */
export const PROGRESS_INTERVAL_MS = 125;

/** An error from the worker: a plain message, its kind, and the technical detail if any. */
export class WorkerError extends Error {
  constructor({ message, kind = '', detail = '' }) {
    super(message);
    this.kind = kind;
    this.detail = detail;
  }
}

/** A promise-based request/response wrapper around a worker. */
export class WorkerClient {
  constructor(worker, onEvent) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();
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

  /** Sends a command, which expects no answer. */
  send(type, body = {}, transfer = []) {
    this.worker.postMessage({ type, ...body }, transfer);
  }

  /** Sends a request and resolves with the worker's reply. */
  request(type, body = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...body }, transfer);
    });
  }

  /** Fails every request still waiting (the worker died). */
  failAll(message) {
    for (const { reject } of this.pending.values()) reject(new WorkerError({ message }));
    this.pending.clear();
  }
}
