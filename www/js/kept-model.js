// @ts-check
// The training worker's model as the browser keeps it (storage.js): restored when the worker
// starts, kept again after every change worth keeping. A stored model that cannot be loaded, or
// that killed the worker the last time it was restored, is discarded with a message, so it can
// never stop the page from starting; storage that stops or starts working again is said.
import { isTrap } from './core.js';
import { clearModel, loadModel, markRestoring, restoreDied, saveModel } from './storage.js';
/** @import { ModelEvent, Post } from './protocol.js' */

export class KeptModel {
  /** @param {Post} post */
  constructor(post) {
    this.post = post;
    this.ok = true; // whether the last write worked
    /** @type {ModelEvent['restored']} while the model is the one restored from browser storage */
    this.restored = null;
  }

  /**
   * Loads the kept model into `session`; true when it did.
   * @param {any} session the core's Session
   */
  async restore(session) {
    let stored;
    try {
      stored = await loadModel();
      if (!stored) return false;
      if (await restoreDied()) {
        await clearModel();
        await markRestoring(false);
        this.post('error', { message: 'The model kept in this browser stopped the training worker the last time it was restored, so it was discarded; a new model is used.', fatal: false });
        return false;
      }
      await markRestoring(true);
    } catch (err) {
      this.failed(err);
      return false;
    }
    let ok = false;
    try {
      session.load(stored.bytes, undefined);
      this.restored = { savedAt: stored.savedAt };
      ok = true;
    } catch (err) {
      if (isTrap(err)) throw err; // the mark stays: the next worker discards this model
      await clearModel().catch(() => {});
      this.post('error', { message: `The model kept in this browser could not be restored and was discarded (${err.message}); a new model is used.`, fatal: false });
    }
    await markRestoring(false).catch(() => {});
    return ok;
  }

  /**
   * Keeps `session`'s model as the latest.
   * @param {any} session the core's Session
   */
  async keep(session) {
    try {
      await saveModel(session.save());
      if (!this.ok) this.post('storage', { ok: true });
      this.ok = true;
    } catch (err) {
      this.failed(err);
    }
  }

  /** @param {any} err */
  failed(err) {
    this.ok = false;
    this.post('storage', { ok: false, reason: err.message ?? String(err) });
  }
}
