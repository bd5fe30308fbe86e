// @ts-check
// The training worker's dataset: which one is in use (a built-in, or one kept in this browser)
// and its loading into the session. A built-in with its own test set (MNIST) streams in split by
// split (data-files.js), so training starts before it has all arrived; another is read whole
// (datasets.js), then handed to the session. A newer dataset stops an older one's download from
// adding to the session.
import { isTrap } from './core.js';
import { streamSplit } from './data-files.js';
import { readBuiltin } from './datasets.js';
import { loadDataset, loadDatasetInUse, saveDataset, saveDatasetInUse } from './storage.js';
/** @import { About, DatasetChoice, Post, Split } from './protocol.js' */

/** @type {Split[]} */
const SPLITS = ['train', 'test'];

/**
 * A built-in dataset's entry in the core's catalogue (undefined for an unknown key).
 * @param {any} core
 * @param {string | undefined} key
 */
export const builtin = (core, key) => core.builtin_datasets().find((b) => b.key === key);

/**
 * The dataset to start with: the one the link names (a built-in's key, or the name of one kept
 * in this browser), else the one in use at the last visit, else MNIST. A kept dataset is read
 * now: its reader (null for a built-in) waits for the session.
 * @param {any} core
 * @param {string | undefined} asked
 * @param {Post} post
 * @returns {Promise<{choice: DatasetChoice, about: About, reader: any}>}
 */
export async function firstDataset(core, asked, post) {
  /** @type {DatasetChoice | null} */
  let wanted = asked ? (builtin(core, asked) ? { kind: 'builtin', key: asked } : { kind: 'stored', name: asked }) : null;
  wanted ??= await loadDatasetInUse().catch(() => null);
  if (wanted?.kind === 'stored') {
    try {
      const stored = await loadDataset(wanted.name);
      if (!stored) throw new Error('it is not kept in this browser');
      const reader = core.DatasetReader.stored(stored.bytes);
      return { choice: wanted, about: reader.finish(), reader };
    } catch (err) {
      if (isTrap(err)) throw err;
      post('error', { message: `The dataset “${wanted.name}” could not be opened (${err.message}); MNIST is used instead.`, fatal: false });
    }
  }
  const b = builtin(core, wanted?.key) ?? builtin(core, 'mnist');
  return { choice: { kind: 'builtin', key: b.key }, about: b.about, reader: null };
}

export class DatasetInUse {
  /**
   * `seed()` is the seed a model fitted to new data starts from: the run's.
   * @param {{core: any, session: any, choice: DatasetChoice, post: Post, seed: () => number}} parts
   */
  constructor({ core, session, choice, post, seed }) {
    this.core = core;
    this.session = session;
    this.choice = choice;
    this.post = post;
    this.seed = seed;
    /** @type {Record<Split, Promise<boolean> | null>} resolved when each split is complete */
    this.loaded = { train: null, test: null };
    this.generation = 0; // bumped when the dataset changes: a download of the old one stops adding
  }

  /** The session holds the whole dataset: whatever was loading for the one before stops. */
  whole() {
    this.generation++;
    this.loaded = { train: Promise.resolve(true), test: Promise.resolve(true) };
  }

  /**
   * Starts loading the dataset chosen: `reader`'s (one read already), else the built-in's.
   * @param {any} [reader] the core's DatasetReader
   */
  start(reader = null) {
    if (reader) {
      this.session.use_dataset(reader, this.seed());
      return this.whole();
    }
    this.generation++;
    this.loaded = { train: null, test: null };
    const b = builtin(this.core, this.choice.key);
    if (b.files.length === 4) return this.stream();
    const mine = this.generation;
    const { post, session } = this;
    const whole = readBuiltin(this.core, b, (bytes, bytesTotal) => {
      for (const split of SPLITS) post('data', { split, name: b.name, loaded: 0, total: 0, bytes, bytesTotal, source: 'network' });
    }).then(({ reader: read, source, bytes }) => {
      if (mine !== this.generation) return false;
      session.use_dataset(read, this.seed());
      // The bytes counted once, with the training split's report.
      for (const split of SPLITS) {
        const n = session.examples(split);
        post('data', { split, name: b.name, loaded: n, total: n, bytes: split === 'train' ? bytes : 0, bytesTotal: bytes, source });
      }
      post('dataset', { about: session.dataset(), choice: this.choice });
      return true;
    }).catch((err) => {
      if (isTrap(err)) throw err;
      if (mine === this.generation) post('dataError', { split: 'train', message: err.message });
      return false;
    });
    this.loaded = { train: whole, test: whole };
  }

  /**
   * Starts streaming each split of the built-in in use not loaded or loading; each promise
   * resolves true when the split is complete, false when its download failed (the page says so,
   * and can ask to retry).
   */
  stream() {
    const mine = this.generation;
    const b = builtin(this.core, this.choice.key);
    for (const split of SPLITS) {
      this.loaded[split] ??= streamSplit({
        core: this.core, session: this.session, dataset: b, split, current: () => mine === this.generation,
        progress: ({ loaded, total, bytes, bytesTotal, source }) => {
          this.post('data', { split, name: b.name, loaded, total, bytes, bytesTotal, source });
        },
      }).then(() => mine === this.generation, (err) => {
        if (isTrap(err)) throw err;
        if (mine === this.generation) this.post('dataError', { split, message: err.message });
        return false;
      });
    }
  }

  /**
   * The session holds a new dataset: `next`, the choice to remember (null: the one it read, to
   * keep in the browser under its name), whole or (`whole` false) a built-in to load now.
   * @param {DatasetChoice | undefined | null} next
   * @param {boolean} whole
   */
  async adopt(next, whole) {
    this.choice = next ?? { kind: 'stored', name: this.session.dataset().name };
    // Before anything waits: what was loading for the dataset before stops adding to this one.
    if (whole) this.whole();
    else this.start();
    if (!next) {
      try {
        await saveDataset(this.session.dataset(), this.session.dataset_file());
      } catch (err) {
        this.post('storage', { ok: false, reason: `the dataset could not be kept in this browser (${err.message ?? err}); it is used until the page is closed` });
      }
    }
    await saveDatasetInUse(this.choice).catch(() => {});
  }

  /** Downloads again what failed; what has arrived is kept. */
  async retry() {
    if (this.choice.kind !== 'builtin') return;
    if (builtin(this.core, this.choice.key).files.length !== 4) {
      if (!(await this.loaded.train)) this.start();
      return;
    }
    for (const split of SPLITS) {
      if (this.loaded[split] && !(await this.loaded[split])) this.loaded[split] = null;
    }
    this.stream();
  }

  /**
   * Resolves once test image `index` has arrived, or once the test set's load has ended.
   * @param {number} index
   */
  async testImageArrived(index) {
    let ended = false;
    this.loaded.test?.then(() => { ended = true; });
    while (this.session.examples('test') <= index && !ended) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
