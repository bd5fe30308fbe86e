// The page's model, shared by the panels: one training worker, requests to it, and its events
// re-broadcast to whichever panel listens. `model` is the latest `model` event: what every panel
// shows is drawn from it. A worker that dies is reported and can be restarted; the model it had
// saved in browser storage comes back with it.
import { workerUrl } from './core.js';
import { WorkerClient } from './protocol.js';

export class App extends EventTarget {
  constructor() {
    super();
    this.client = null;
    this.model = null; // the latest `model` event: {reason, layers, params, spec, history, restored}
    this.settings = null;
  }

  /** Starts (or restarts) the worker with the training settings. Resolves once it has a model. */
  start(settings) {
    this.settings = settings;
    this.client?.worker.terminate();
    const worker = new Worker(workerUrl('./worker.js'), { type: 'module' });
    this.client = new WorkerClient(worker, (msg) => {
      if (msg.type === 'model') this.model = msg;
      this.emit(msg.type, msg);
    });
    worker.onerror = (e) => {
      e.preventDefault?.();
      const message = `The training worker stopped: ${e.message || 'it crashed (out of memory?)'}.`;
      this.client.failAll(message);
      this.emit('crash', { message });
    };
    const ready = new Promise((resolve) => this.addEventListener('model', resolve, { once: true }));
    this.client.send('init', { settings });
    return ready;
  }

  /** A new worker, restoring the model last saved in browser storage. */
  restart() {
    return this.start(this.settings);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  on(type, handler) {
    this.addEventListener(type, (e) => handler(e.detail));
  }

  send(type, body, transfer) {
    this.client.send(type, body, transfer);
  }

  request(type, body, transfer) {
    return this.client.request(type, body, transfer);
  }
}
