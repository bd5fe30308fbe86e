// @ts-check
// The replica worker (see threads.js): a copy of the network that computes half of each training
// batch. After 'ready' it blocks in Atomics.wait between requests and hears no more messages;
// its owner ends it with terminate().
import { loadCore } from './core.js';
/** @import { ReplicaStart } from './threads.js' */

/** @param {MessageEvent<ReplicaStart>} message */
onmessage = async ({ data: { spec, config, seed } }) => {
  let buffer = null;
  /** @type {any} the core's replica_failed, once loaded */
  let replicaFailed = null;
  try {
    const { Replica, replica_failed: failed } = await loadCore();
    replicaFailed = failed;
    const replica = new Replica(spec ?? null, config ?? null, seed);
    buffer = replica.buffer();
    postMessage({ type: 'ready', buffer });
    replica.serve();
  } catch (err) {
    try {
      if (buffer) replicaFailed(buffer); // wakes the training worker if it is waiting for us
    } finally {
      postMessage({ type: 'error', message: err.message ?? String(err) });
    }
  }
};
