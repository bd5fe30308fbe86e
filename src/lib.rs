//! cnn-playground: a convolutional neural network in Rust, for the terminal and, compiled to
//! WebAssembly, for a static web page.
//!
//! - [`ops`]: numeric kernels (GEMM, im2col, convolution) as forward/backward pairs;
//! - [`data`]: IDX files, MNIST, shuffled batches;
//! - [`nn`]: layers, the model built from a spec, the loss;
//! - [`optim`]: Adam and SGD;
//! - [`train`]: training steps, epochs, evaluation;
//! - [`image`]: photos and the convolution filters applied to them;
//! - [`gpu`] (feature `gpu`): the same training step in WGSL compute kernels on wgpu;
//! - `wasm`: the `#[wasm_bindgen]` face the page calls.

pub mod data;
pub mod error;
pub mod export;
pub mod field;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod image;
pub mod io;
pub mod nn;
pub mod ops;
pub mod optim;
pub mod rng;
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
