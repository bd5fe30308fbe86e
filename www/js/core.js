// Loads the Rust core once per page or worker: the SIMD build (../pkg) where the browser runs
// wasm SIMD, else the portable build (../pkg-portable), the same code without SIMD instructions.
// `?wasm=portable` in the page's address forces the portable build; workers started with
// `workerUrl` inherit the choice. A training worker started for the GPU (`?wasm=gpu`) loads the
// GPU build (../pkg-gpu: the SIMD build with the WebGPU path), which only it ever downloads.

// A module whose one function uses i8x16.splat and i8x16.popcnt: valid only where wasm SIMD is.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

const asked = new URLSearchParams(self.location.search).get('wasm');
/** Which build this page or worker runs: 'simd', 'portable' or 'gpu'. */
export const build = asked === 'gpu' && WebAssembly.validate(SIMD_PROBE) ? 'gpu'
  : asked !== 'portable' && WebAssembly.validate(SIMD_PROBE) ? 'simd'
  : 'portable';

const PACKAGES = {
  simd: '../pkg/cnn_playground.js',
  portable: '../pkg-portable/cnn_playground.js',
  gpu: '../pkg-gpu/cnn_playground.js',
};

/** The URL of a worker script next to this module, carrying the build choice (`gpu`: the GPU
 * build, for the training worker that trains on the GPU). */
export function workerUrl(file, { gpu = false } = {}) {
  const url = new URL(file, import.meta.url);
  if (gpu) url.searchParams.set('wasm', 'gpu');
  else if (build === 'portable') url.searchParams.set('wasm', 'portable');
  return url;
}

let ready;
let instance = null; // the wasm instance's own exports, its memory among them

/** Resolves to the core's exports once the wasm module is compiled and instantiated. */
export function loadCore() {
  ready ??= import(PACKAGES[build])
    .then(async (core) => {
      instance = await core.default();
      return core;
    });
  return ready;
}

/** The bytes of wasm memory this page or worker holds (it grows, never shrinks). */
export function wasmMemoryBytes() {
  return instance?.memory.buffer.byteLength ?? 0;
}

/**
 * `length` bytes of wasm memory from `ptr`, viewed where they lie, not copied: read them at once,
 * before the core is called again (its memory may grow and move).
 */
export function wasmBytes(ptr, length) {
  return new Uint8ClampedArray(instance.memory.buffer, ptr, length);
}
