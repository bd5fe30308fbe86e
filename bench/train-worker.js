// The benchmark's training worker: our core trains where the page trains it, in a worker, on one
// thread or on two (a replica worker computing half of each batch: www/js/threads.js). The page
// sends {setup: {images, labels}} once, then {train: {threads, steps}} per timed run.
import { loadCore } from '/www/js/core.js';
import { singleThreadReason, startReplica } from '/www/js/threads.js';

const sessions = {}; // by thread count

async function setup({ images, labels }) {
  const core = await loadCore();
  const make = () => {
    const session = new core.Session(null, null, 0); // the tutorial's CNN and recipe: batch 64, Adam 1e-3
    session.add_examples('train', images, labels);
    session.set_complete('train');
    return session;
  };
  sessions[1] = make();
  const forwardFlop = sessions[1].layers().reduce((sum, layer) => sum + layer.flops, 0);
  const reason = singleThreadReason();
  if (reason) return { forwardFlop, twoThreads: false, reason };
  sessions[2] = make();
  const { ready } = startReplica(sessions[2].spec(), null, (message) => console.error(`[bench] replica lost: ${message}`));
  sessions[2].attach_replica(await ready);
  return { forwardFlop, twoThreads: true, reason: '' };
}

/** `steps` training steps; returns their time and the last call's mean loss. */
function train({ threads, steps }) {
  const session = sessions[threads];
  if (!session) throw new Error(`no ${threads}-thread session`);
  let done = 0;
  let loss = NaN;
  const t0 = performance.now();
  // A call stops at the end of an epoch (here: of the image pool), so call until done.
  while (done < steps) {
    const report = session.train(steps - done);
    if (report.steps === 0) throw new Error('our session trained no step');
    done += report.steps;
    loss = report.loss;
  }
  if (session.threads() !== threads) throw new Error(`the ${threads}-thread session lost its replica`);
  return { ms: performance.now() - t0, loss };
}

onmessage = async ({ data }) => {
  try {
    const result = data.setup ? await setup(data.setup) : train(data.train);
    postMessage({ ok: true, result });
  } catch (err) {
    postMessage({ ok: false, message: err.message ?? String(err) });
  }
};
