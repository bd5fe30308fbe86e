// The messages between the page and the training worker (worker.js), in one place.
//
// The worker owns the model (a wasm `Session`) and the MNIST data; the page only asks and draws.
// Big arrays travel as transferable typed arrays, never JSON.
//
// Page → worker                                   Worker → page
//   init    {spec, config, seed, threads}           ready     {layers, params, spec, restored}
//   start   {}                                      data      {split, loaded, total, bytes, bytesTotal}
//   pause   {}                                      progress  {epoch, epochs, epochProgress, steps,
//   resume  {}                                                 loss, accuracy, imagesPerSecond, lr, etaSeconds}
//   stop    {}                                      epoch     {epoch, trainLoss, trainAccuracy, test: {accuracy,
//   reset   {spec, config, seed, threads}                      correct, total, loss, confusion, misclassified}}
//   set     {lr?, batchSize?, epochs?, threads?}    state     {state: 'idle'|'loading'|'training'|'paused'|'done'}
//   predict {id, pixels: Float32Array(784)}         prediction {id, probabilities: Float32Array(10)}
//   inspect {id, pixels: Float32Array(784)}         inspection {id, layers: [{name, kind, shape, data}],
//   testImage {id, index}                                       kernels: [{name, shape, data}], saliency}
//   save    {id}                                    testImage {id, index, pixels: Uint8Array(784), label}
//   load    {id, bytes: Uint8Array}                 saved     {id, bytes: Uint8Array}
//                                                   loaded    {id, layers, params, spec}
//                                                   threads   {threads: 1|2, reason: why only 1, or ''}
//                                                   error     {id?, message, fatal}
//
// Every request with an `id` is answered by a message with the same id (or an `error` with it).

// Relative to this module, so the worker (in js/) and the page resolve the same files.
const data = (file) => new URL(`../data/mnist/${file}`, import.meta.url).href;
export const MNIST = {
  train: { images: data('train-images-idx3-ubyte'), labels: data('train-labels-idx1-ubyte') },
  test: { images: data('t10k-images-idx3-ubyte'), labels: data('t10k-labels-idx1-ubyte') },
};

/** Progress messages are sent at most this often, so drawing never slows training. */
export const PROGRESS_INTERVAL_MS = 125;

/** A promise-based request/response wrapper around a worker. */
export class WorkerClient {
  constructor(worker, onEvent) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();
    worker.onmessage = ({ data }) => {
      const waiting = data.id !== undefined && this.pending.get(data.id);
      if (waiting) {
        this.pending.delete(data.id);
        if (data.type === 'error') waiting.reject(new Error(data.message));
        else waiting.resolve(data);
      } else {
        onEvent(data);
      }
    };
  }

  /** Sends a message that expects no answer. */
  send(type, body = {}, transfer = []) {
    this.worker.postMessage({ type, ...body }, transfer);
  }

  /** Sends a request and resolves with the worker's answer. */
  request(type, body = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...body }, transfer);
    });
  }

  /** Fails every request still waiting (the worker died). */
  failAll(message) {
    for (const { reject } of this.pending.values()) reject(new Error(message));
    this.pending.clear();
  }
}
