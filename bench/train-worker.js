// The benchmark's training worker: our core trains where the page trains it, in a worker, on one
// thread or on two (a replica worker computing half of each batch: www/js/threads.js) — or,
// started as `train-worker.js?wasm=gpu`, on the GPU through WebGPU with the GPU build, driven as
// the playground's worker drives any session (train a chunk, then report it). The page
// sends {setup: {images, labels, about}} once, then {train: {device, steps}} per timed run (device 1,
// 2 or 'gpu') and, on the GPU, {predict: {images, count}} for batch-1 inference timed here.
import { build, loadCore } from '/www/js/core.js';
import { singleThreadReason, startReplica } from '/www/js/threads.js';

const sessions = {}; // by device: 1 and 2 (threads), or 'gpu'

async function setup({ images, labels, about = null }) {
  const core = await loadCore();
  const make = () => {
    // The tutorial's CNN and recipe (batch 64, Adam 1e-3), fitted to the dataset `about` says
    // (the core's About; null: MNIST).
    const session = new core.Session(null, null, 0, about);
    session.add_examples('train', images, labels);
    session.set_complete('train');
    return session;
  };
  const first = make();
  const forwardFlop = first.layers().reduce((sum, layer) => sum + layer.flops, 0);
  if (build === 'gpu') {
    const told = first.use_device(await core.request_device());
    if (told.device !== 'gpu') throw new Error(`no GPU: ${told.reason}`);
    sessions.gpu = first;
    return { forwardFlop, build, adapter: told.info };
  }
  sessions[1] = first;
  const reason = singleThreadReason();
  if (reason) return { forwardFlop, build, twoThreads: false, reason };
  sessions[2] = make();
  const { ready } = startReplica(sessions[2].spec(), null, (message) => console.error(`[bench] replica lost: ${message}`));
  sessions[2].attach_replica(await ready);
  return { forwardFlop, build, twoThreads: true, reason: '' };
}

/** One call's events: its progress (steps taken, mean loss); a failure ends the benchmark. */
function progressOf(events) {
  const failure = events.find((e) => e.type === 'failed' || e.type === 'diverged');
  if (failure) throw new Error(`our session stopped: ${failure.message ?? failure.type}`);
  const progress = events.find((e) => e.type === 'progress');
  if (!progress || progress.steps === 0) throw new Error('our session trained no step');
  return progress;
}

/** Up to `steps` steps on `device` in one call (a call stops at the end of the image pool). */
async function call(device, steps) {
  const session = sessions[device];
  await session.train(steps);
  return progressOf(session.report());
}

/** `steps` training steps; returns their time and the last call's mean loss. */
async function train({ device, steps }) {
  if (!sessions[device]) throw new Error(`no session for device ${device}`);
  let done = 0;
  let loss = NaN;
  const t0 = performance.now();
  while (done < steps) {
    const progress = await call(device, steps - done);
    done += progress.steps;
    loss = progress.loss;
  }
  if (device !== 'gpu' && sessions[device].threads() !== device) throw new Error(`the ${device}-thread session lost its replica`);
  return { ms: performance.now() - t0, loss };
}

/** `count` single-image predictions on the GPU, each timed from the call to its answer. */
async function predict({ images, count }) {
  const pool = images.length / 784;
  const image = (i) => images.subarray((i % pool) * 784, (i % pool + 1) * 784);
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await sessions.gpu.predict(image(i));
    times.push(performance.now() - t0);
  }
  return times;
}

onmessage = async ({ data }) => {
  try {
    const result = data.setup ? await setup(data.setup) : data.train ? await train(data.train) : await predict(data.predict);
    postMessage({ ok: true, result });
  } catch (err) {
    postMessage({ ok: false, message: err.message ?? String(err) });
  }
};
