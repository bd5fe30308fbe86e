// @ts-check
// Training on two cores: a replica worker (replica.js) computes half of every batch, meeting the
// training worker in shared memory (src/wasm/replica.rs). Used by the training worker and by the
// benchmark's worker.
import { workerUrl } from './core.js';

/**
 * The replica's messages: what starts it, then its one answer (or its failure, before or after).
 * @typedef {{spec: any, config: any, seed: number}} ReplicaStart  the core's spec and training
 *   config (null: the tutorial's), and the replica's seed
 * @typedef {{type: 'ready', buffer: SharedArrayBuffer} | {type: 'error', message: string}} ReplicaMessage
 */

/** Why training stays on one thread in this browser, or '' when a replica can help. */
export function singleThreadReason() {
  if (!globalThis.crossOriginIsolated) {
    return 'the page is not cross-origin isolated (neither the host\'s COOP and COEP headers nor this page\'s service worker could make it so), so workers cannot share memory';
  }
  // WebKitGTK and WPE WebKit (not Safari) keep it off even on an isolated page.
  if (typeof SharedArrayBuffer === 'undefined') return 'this browser gives no page shared memory (SharedArrayBuffer), even a cross-origin isolated one';
  if ((navigator.hardwareConcurrency ?? 1) < 2) return 'the browser reports a single CPU core';
  return '';
}

/**
 * Starts a replica worker for the network `spec`; `config` is the training config (for
 * augmentation). Returns {worker, ready}: `ready` resolves to the buffer to hand to
 * `session.attach_replica`, or rejects with the reason it could not start; `onLost(message)`
 * hears of a crash after that. Terminating the worker is the caller's, at any time.
 * @param {(message: string) => void} [onLost]
 * @returns {{worker: Worker, ready: Promise<SharedArrayBuffer>}}
 */
export function startReplica(spec, config, onLost = () => {}) {
  const worker = new Worker(workerUrl('./replica.js'), { type: 'module' });
  const ready = new Promise((resolve, reject) => {
    let started = false;
    const fail = (message) => {
      worker.terminate();
      if (started) onLost(message);
      else reject(new Error(message));
    };
    /** @param {MessageEvent<ReplicaMessage>} message */
    worker.onmessage = ({ data }) => {
      if (data.type === 'ready' && !started) {
        started = true;
        resolve(data.buffer);
      } else if (data.type === 'error') {
        fail(data.message);
      }
    };
    worker.onerror = (e) => {
      e.preventDefault?.();
      fail(e.message || 'the replica worker crashed');
    };
  });
  // Its own seed, derived from the run's: its dropout masks and shifts differ from the
  // session's, and a run started afresh repeats them.
  worker.postMessage(/** @satisfies {ReplicaStart} */ ({ spec, config, seed: ((config?.seed ?? 0) ^ 0x5bd1e995) >>> 0 }));
  return { worker, ready };
}

/**
 * The training worker's replica, kept in step with what the run wants: started (or not, and
 * why) whenever the network, the training config or the workers wanted change, and let go when
 * it fails. `onThreads(threads, reason)` hears how many workers train and why only one.
 */
export class Replica {
  /**
   * @param {any} session the core's Session, which the replica attaches to
   * @param {(threads: number, reason: string) => void} onThreads
   */
  constructor(session, onThreads) {
    this.session = session;
    this.onThreads = onThreads;
    /** @type {Worker | null} starting or attached */
    this.worker = null;
    this.generation = 0; // bumped whenever the replica is replaced: a late 'ready' is dropped
  }

  stop() {
    this.generation++;
    this.session.detach_replica();
    this.worker?.terminate();
    this.worker = null;
  }

  /**
   * The replica failed (the session went on alone).
   * @param {string} message
   */
  lost(message) {
    this.stop();
    this.onThreads(1, `the second worker stopped (${message}); training goes on with one`);
  }

  /**
   * Starts a replica for the session's network, or says why it trains on one worker.
   * @param {{threads: number, config: any}} run  the workers wanted and the training config
   */
  sync({ threads, config }) {
    this.stop();
    const reason = this.session.one_worker_reason() ?? (threads < 2 ? 'one worker was chosen' : singleThreadReason());
    if (reason) return this.onThreads(1, reason);
    const generation = this.generation;
    const current = () => generation === this.generation;
    this.onThreads(1, 'the second worker is starting');
    const { worker, ready } = startReplica(this.session.spec(), config, (message) => { if (current()) this.lost(message); });
    this.worker = worker;
    ready.then((buffer) => {
      if (!current()) return;
      this.session.attach_replica(buffer);
      this.onThreads(2, '');
    }).catch((err) => {
      if (!current()) return;
      this.stop();
      this.onThreads(1, `the second worker could not start: ${err.message}`);
    });
  }
}
