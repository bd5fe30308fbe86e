// Loads the Rust core (wasm-bindgen's ES module in ../pkg) once, for every panel.
import init, * as core from '../pkg/cnn_playground.js';

let ready;

/** Resolves to the core's exports once the wasm module is compiled and instantiated. */
export function loadCore() {
  ready ??= init().then(() => core);
  return ready;
}
