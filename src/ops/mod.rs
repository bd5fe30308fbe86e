//! Numeric kernels: each a forward/backward pair over flat f32 slices, with the shapes written
//! down. The layers in `nn` and the filters in `image` are built on these.

pub mod conv;
pub mod gemm;
pub mod im2col;
pub mod kernels;
pub mod simd;
pub mod winograd;

pub use kernels::Kernels;
