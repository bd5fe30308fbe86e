// @ts-check
// Loads the Rust core once per page or worker: the relaxed-SIMD build (../pkg-relaxed, fused
// multiply-add) where the browser runs relaxed SIMD, else the SIMD build (../pkg) where it runs
// wasm SIMD, else the portable build (../pkg-portable), the same code without SIMD instructions.
// `?wasm=simd` or `?wasm=portable` in the page's address forces that build; workers started with
// `workerUrl` inherit the choice. A training worker started for the GPU (`?wasm=gpu`) loads the
// GPU build (../pkg-gpu: the SIMD build with the WebGPU path), which only it ever downloads.

// Modules valid only where wasm SIMD is (i8x16.splat, i8x16.popcnt), and where relaxed SIMD is
// (three i32x4.splat into f32x4.relaxed_madd).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 17, 65, 0, 253, 17, 65, 0, 253, 17, 253, 133, 2, 11]);

const asked = new URLSearchParams(self.location.search).get('wasm');
const simd = WebAssembly.validate(SIMD_PROBE);
/** Which build this page or worker runs: 'relaxed', 'simd', 'portable' or 'gpu'. */
export const build = asked === 'gpu' && simd ? 'gpu'
  : asked === 'portable' || !simd ? 'portable'
  : asked === 'simd' || !WebAssembly.validate(RELAXED_PROBE) ? 'simd'
  : 'relaxed';

const PACKAGES = {
  relaxed: '../pkg-relaxed/cnn_playground.js',
  simd: '../pkg/cnn_playground.js',
  portable: '../pkg-portable/cnn_playground.js',
  gpu: '../pkg-gpu/cnn_playground.js',
};

/**
 * The URL of a worker script next to this module, carrying the build choice (`gpu`: the GPU
 * build, for the training worker that trains on the GPU).
 * @param {string} file
 */
export function workerUrl(file, { gpu = false } = {}) {
  const url = new URL(file, import.meta.url);
  if (gpu) url.searchParams.set('wasm', 'gpu');
  else if (build !== 'relaxed') url.searchParams.set('wasm', build);
  return url;
}

/** @type {Promise<any> | undefined} */
let ready;
/** @type {any} the wasm instance's own exports, its memory among them */
let instance = null;

/**
 * Resolves to the core's exports once the wasm module is compiled and instantiated. Untyped:
 * the build ships no TypeScript (scripts/lib.sh), and which build loads is known only here.
 * @returns {Promise<any>}
 */
export function loadCore() {
  ready ??= import(PACKAGES[build])
    .then(async (core) => {
      instance = await core.default();
      return core;
    });
  return ready;
}

/**
 * Whether `err` is a trap (wasm's `unreachable`, or memory that cannot grow): the instance is
 * unusable after one, since wasm-bindgen keeps the object that trapped borrowed.
 * @param {unknown} err
 */
export const isTrap = (err) => err instanceof WebAssembly.RuntimeError;

/** The bytes of wasm memory this page or worker holds (it grows, never shrinks). */
export function wasmMemoryBytes() {
  return instance?.memory.buffer.byteLength ?? 0;
}

/**
 * `length` bytes of wasm memory from `ptr`, viewed where they lie, not copied: read them at once,
 * before the core is called again (its memory may grow and move).
 * @param {number} ptr
 * @param {number} length
 */
export function wasmBytes(ptr, length) {
  return new Uint8ClampedArray(instance.memory.buffer, ptr, length);
}
