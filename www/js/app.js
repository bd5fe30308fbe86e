// @ts-check
// The page's model, shared by the panels: one training worker, requests to it, and its events
// re-broadcast to whichever panel listens. `model` is the latest `model` event: what every panel
// shows is drawn from it. A worker that dies is reported and can be restarted; the model it had
// saved in browser storage comes back with it.
import { workerUrl } from './core.js';
import { WorkerClient } from './protocol.js';
/** @import { Commands, Events, ImageShape, ModelEvent, Requests, Settings } from './protocol.js' */

/** A worker that traps again this soon after a restart is not restarted by itself. */
const RECOVERY_WINDOW_MS = 60_000;

/**
 * What the panels hear through `on`: the worker's events (a trap is the app's to handle), the
 * app's `crash` (the worker died; `restarting`: a new one restores the last model kept), and
 * the panels' own: the Teach panel's `teachTrain` (train the model it made for `steps`) and the
 * Draw panel's `input` (the image it shows the network, for the Layers panel).
 * @typedef {Omit<Events, 'trap'> & {
 *   crash: {message: string, restarting: boolean},
 *   teachTrain: {steps: number, train: number},
 *   input: {pixels: Float32Array, shape: ImageShape, source: string, label: number | null},
 * }} AppEvents
 */

export class App extends EventTarget {
  constructor() {
    super();
    this.lastRecovery = -Infinity;
    /** @type {WorkerClient} null until `start`, which comes before any other call */
    this.client = /** @type {any} */ (null);
    /** @type {ModelEvent | null} the latest `model` event */
    this.model = null;
    /** @type {Settings} null until `start`, as `client` */
    this.settings = /** @type {any} */ (null);
  }

  /**
   * Starts (or restarts) the worker with the training settings. Resolves once it has a model.
   * @param {Settings} settings
   */
  start(settings) {
    this.settings = settings;
    this.client?.worker.terminate();
    const worker = new Worker(workerUrl('./worker.js', { gpu: settings.device === 'gpu' }), { type: 'module' });
    this.client = new WorkerClient(worker, (msg) => {
      if (msg.type === 'model') this.model = msg;
      if (msg.type === 'trap') this.recover(msg.message);
      else this.emit(msg.type, msg);
    });
    worker.onerror = (e) => {
      e.preventDefault?.();
      const message = `The training worker stopped: ${e.message || 'it crashed (out of memory?)'}.`;
      this.client.failAll(message);
      this.emit('crash', { message, restarting: false });
    };
    const ready = new Promise((resolve) => this.addEventListener('model', resolve, { once: true }));
    this.client.send('init', { settings });
    return ready;
  }

  /** A new worker, restoring the model last saved in browser storage. */
  restart() {
    return this.start(this.settings);
  }

  /**
   * Trains on `device` ('cpu' or 'gpu') from now on: the worker keeps the model in the browser,
   * and a worker with that device's build takes over and restores it.
   * @param {Settings['device']} device
   */
  async switchDevice(device) {
    await this.request('keep').catch(() => {}); // a model that cannot be kept is as the last kept one
    return this.start({ ...this.settings, device });
  }

  /**
   * A worker whose wasm trapped is never used again: it is thrown away and a new one restores
   * the last model kept in the browser. A second trap within a minute is left to the user.
   * @param {string} message
   */
  recover(message) {
    this.client.worker.terminate();
    const text = `The training worker stopped on an internal error (${message}).`;
    this.client.failAll(text);
    const now = Date.now();
    const restarting = now - this.lastRecovery > RECOVERY_WINDOW_MS;
    this.lastRecovery = now;
    this.emit('crash', { message: text, restarting });
    if (restarting) this.restart();
  }

  /**
   * @template {keyof AppEvents} T
   * @param {T} type
   * @param {AppEvents[T]} detail
   */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /**
   * @template {keyof AppEvents} T
   * @param {T} type
   * @param {(detail: AppEvents[T]) => void} handler
   */
  on(type, handler) {
    this.addEventListener(type, (e) => handler(/** @type {CustomEvent<AppEvents[T]>} */ (e).detail));
  }

  /**
   * @template {keyof Commands} T
   * @param {T} type
   * @param {Commands[T]} [body]
   * @param {Transferable[]} [transfer]
   */
  send(type, body, transfer) {
    this.client.send(type, body, transfer);
  }

  /**
   * @template {keyof Requests} T
   * @param {T} type
   * @param {Requests[T]['body']} [body]
   * @param {Transferable[]} [transfer]
   */
  request(type, body, transfer) {
    return this.client.request(type, body, transfer);
  }
}
