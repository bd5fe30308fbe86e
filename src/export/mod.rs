//! The model carried onward, out of the playground: as ONNX for any runtime, and as a PyTorch
//! project to train further on PyTorch's own engine. (Paddle's `.pdparams` is written beside its
//! reader, in [`crate::io::paddle`].)

pub mod onnx;
pub mod pytorch;
