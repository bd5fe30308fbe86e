// @ts-check
// The latest model, the datasets the user brought and the drawings made to teach it, kept in the
// browser's IndexedDB so a reload restores them. Works in the page and in workers. Nothing leaves the browser.

const DB = 'cnn-playground';
const STORE = 'models';
/** Datasets by name: {about, bytes (the core's dataset file), savedAt}. */
const DATASETS = 'datasets';
const KEY = 'latest';
const RESTORING = 'restoring';
/** Which dataset is in use: {kind: 'builtin', key} or {kind: 'stored', name}. */
const IN_USE = 'dataset';
/** The Draw panel's "Teach it": {classes (the text typed), drawings: [{name, pixels}]}. */
const DRAWINGS = 'drawings';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 2);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
      if (!db.objectStoreNames.contains(DATASETS)) db.createObjectStore(DATASETS);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    // An older page in another tab holds the version this one must upgrade: it closes its
    // connection after each transaction, so this only lasts while that tab is writing.
    req.onblocked = () => reject(new Error('another tab of this page, an older version, is using the browser storage: close it and reload'));
  });
}

function run(mode, action, store = STORE) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = action(tx.objectStore(store));
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

/** Keeps a dataset the user brought, by its name (one of the same name is replaced). */
export function saveDataset(about, bytes) {
  return run('readwrite', (s) => s.put({ about, bytes, savedAt: Date.now() }, about.name), DATASETS);
}

/** Resolves to {about, bytes, savedAt} or undefined. */
export function loadDataset(name) {
  return run('readonly', (s) => s.get(name), DATASETS);
}

/** Every kept dataset as {name, about, size, savedAt}, without its bytes. */
export async function listDatasets() {
  const all = await run('readonly', (s) => s.getAll(), DATASETS);
  return all.map(({ about, bytes, savedAt }) => ({ name: about.name, about, size: bytes.byteLength, savedAt }));
}

export function deleteDataset(name) {
  return run('readwrite', (s) => s.delete(name), DATASETS);
}

/** Remembers which dataset is in use ({kind, key|name}), for the next visit. */
export function saveDatasetInUse(choice) {
  return run('readwrite', (s) => s.put(choice, IN_USE));
}

export function loadDatasetInUse() {
  return run('readonly', (s) => s.get(IN_USE));
}

/** Keeps the drawings made to teach classes, with the class names typed. */
export function saveDrawings(teaching) {
  return run('readwrite', (s) => s.put(teaching, DRAWINGS));
}

export function loadDrawings() {
  return run('readonly', (s) => s.get(DRAWINGS));
}
