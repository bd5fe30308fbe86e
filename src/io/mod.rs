//! Files the core reads and writes: model checkpoints in safetensors, PyTorch's and Paddle's
//! files read safely, the exports (ONNX, PyTorch code, `.pdparams`), and what a file is when it
//! is not a model.

pub mod checkpoint;
pub mod identify;
pub mod inflate;
pub mod paddle;
pub mod pickle;
pub mod tensors;
pub mod torch;
pub mod zip;
