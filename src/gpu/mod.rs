//! The GPU path (feature `gpu`), on wgpu: Vulkan, Metal or DirectX natively, WebGPU in the
//! browser. WGSL compute kernels (`wgsl/`) mirror `ops`, `nn` and `optim` one for one — GEMM,
//! im2col/col2im, every layer's forward and backward pass, the fused loss, Adam and SGD — and a
//! whole training step runs on the GPU with the weights, gradients and optimiser state resident
//! there; only the loss comes back. The CPU path stays the reference: `tests/gpu.rs` checks
//! every layer type and seeded training runs against it.
//!
//! - [`device`]: the adapter, device and queue; kernels compiled once; reading back;
//! - `kernel`: each WGSL file's arguments and bindings, by name;
//! - [`ops`]: the launches layers share (GEMM, im2col, layout moves, pooling windows);
//! - [`layers`]: each layer's launches, forward and backward, one file per layer as in `nn`;
//! - [`model`]: a network's arenas and its recorded programs, one per batch size;
//! - [`train`]: the training step and epoch, driven by the CPU trainer's settings and batches.

pub mod device;
mod kernel;
pub mod layers;
pub mod model;
mod oneshot;
pub mod ops;
pub mod train;

pub use device::{AdapterInfo, GemmKernel, Gpu};
pub use model::GpuModel;
pub use train::GpuTrainer;
