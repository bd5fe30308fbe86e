//! Files the core reads and writes: model checkpoints in safetensors, and what a file is when it
//! is not one.

pub mod checkpoint;
pub mod identify;
