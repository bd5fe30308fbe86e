// The latest model, kept in the browser's IndexedDB so a reload restores it. Works in the page and
// in workers. Nothing leaves the browser.

const DB = 'cnn-playground';
const STORE = 'models';
const KEY = 'latest';
const RESTORING = 'restoring';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function run(mode, action) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = action(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(req.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
    // A transaction that fails as it commits (over the storage quota) aborts without an error
    // event: without this the promise would never settle, and Stop would never finish.
    tx.onabort = () => { db.close(); reject(tx.error ?? new Error('the browser aborted the write')); };
  }));
}

/** Stores the model's safetensors bytes with when and how well it was trained. */
export function saveModel(bytes, info = {}) {
  return run('readwrite', (s) => s.put({ bytes, savedAt: Date.now(), ...info }, KEY));
}

/** Resolves to {bytes, savedAt, …} or undefined when nothing is stored. */
export function loadModel() {
  return run('readonly', (s) => s.get(KEY));
}

export function clearModel() {
  return run('readwrite', (s) => s.delete(KEY));
}

/**
 * Marks a restore as under way (`true`) or over (`false`). A worker that dies while restoring
 * (a trap, or the tab's memory running out) leaves the mark, and the next one finds it: that
 * stored model is discarded instead of killing every worker after it.
 */
export function markRestoring(on) {
  return run('readwrite', (s) => (on ? s.put(Date.now(), RESTORING) : s.delete(RESTORING)));
}

/** Whether a restore was under way when its worker died. */
export function restoreDied() {
  return run('readonly', (s) => s.get(RESTORING)).then(Boolean);
}
