//! cnn-playground: a convolutional neural network in Rust, for the terminal and, compiled to
//! WebAssembly, for a static web page.
//!
//! - [`ops`]: numeric kernels (GEMM, im2col, convolution, Winograd) as forward/backward pairs,
//!   and the named choice of kernels a model computes with;
//! - [`nn`]: one file per layer with its spec, every size planned and checked, the model built
//!   from a spec, the loss;
//! - [`optim`]: Adam and SGD;
//! - [`train`]: training steps, epochs, schedules, peers, evaluation, recipes, a model's story;
//! - [`data`]: datasets and the formats they come in (IDX, CIFAR's tar.gz, folders and zips of
//!   class folders, drawn classes, a kept dataset), batches and augmentation;
//! - [`image`]: photos, fitted to a size, and the convolution filters applied to them;
//! - [`io`]: model files: safetensors checkpoints, PyTorch's and Paddle's own, read safely;
//! - [`export`]: the model for other frameworks (ONNX, a PyTorch project, Paddle);
//! - [`field`]: a setting's name, range and default, once, for the core and the page;
//! - [`error`]: every failure, with the kind the page switches on;
//! - [`rng`]: the one seeded generator, the same bits natively and in wasm;
//! - [`gpu`] (feature `gpu`): the same training step in WGSL compute kernels on wgpu;
//! - `wasm`: the `#[wasm_bindgen]` face the page calls.
//!
//! `docs/ARCHITECTURE.md` is the map of the whole project.

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
