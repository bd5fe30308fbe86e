//! Files the core reads and writes: model checkpoints in safetensors.

pub mod checkpoint;
