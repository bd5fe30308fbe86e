// The replica worker (see threads.js): a copy of the network that computes half of each training
// batch. After 'ready' it blocks in Atomics.wait between requests and hears no more messages;
// its owner ends it with terminate().
import init, { Replica, replica_failed } from '../pkg/cnn_playground.js';

onmessage = async ({ data: { spec, config, seed } }) => {
  let buffer = null;
  try {
    await init();
    const replica = new Replica(spec ?? null, config ?? null, seed);
    buffer = replica.buffer();
    postMessage({ type: 'ready', buffer });
    replica.serve();
  } catch (err) {
    if (buffer) replica_failed(buffer); // wakes the training worker if it is waiting for us
    postMessage({ type: 'error', message: err.message ?? String(err) });
  }
};
