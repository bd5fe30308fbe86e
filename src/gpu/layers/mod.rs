//! Each layer of `nn` as GPU launches, one file per layer as in `nn/` (the parameterless
//! activations share one, as a table): what its forward and backward passes record for one
//! batch size, from the buffers the program gives it. A layer's spec makes its GPU form
//! ([`crate::nn::LayerConfig::gpu`]). The shapes follow the CPU layers' (`x` is N×input, `y`
//! N×output, NCHW), and so do the formulas (`wgsl/`).

pub mod activation;
pub mod adaptive_avg_pool2d;
pub mod avg_pool2d;
pub mod batch_norm2d;
pub mod conv2d;
pub mod dropout;
pub mod flatten;
pub mod linear;
pub mod max_pool2d;

use super::device::{Dispatch, Gpu};
use crate::nn::Mode;

/// One step of a recorded pass: a launch, or a copy between buffers (floats).
pub enum Step {
    Run(Dispatch),
    Copy {
        from: wgpu::Buffer,
        to: wgpu::Buffer,
        len: usize,
    },
}

/// Where a layer's tensors lie and what its own generator is drawn from, for its GPU form.
pub struct Place<'a> {
    /// The per-sample input shape.
    pub input: &'a [usize],
    /// The model's seed and the layer's index (dropout's masks, as on the CPU).
    pub seed: u64,
    pub index: usize,
    /// A tensor's offset in its arena (parameters' or buffers'), by its local name.
    pub offset: &'a dyn Fn(&str) -> Option<usize>,
}

impl Place<'_> {
    /// The offset of a tensor the layer always has.
    pub fn tensor(&self, name: &str) -> usize {
        (self.offset)(name).expect("the model has its layers' tensors")
    }
}

/// The scratch a batch needs, in floats; the program allocates the largest of each.
#[derive(Clone, Copy, Default)]
pub struct Scratch {
    /// im2col's columns (and, as long, their gradient).
    pub cols: usize,
    /// A GEMM's output before it is laid out as NCHW.
    pub tmp: usize,
    /// A GEMM's partial products when it is split along K.
    pub partial: usize,
}

/// The buffers a layer's passes use, and the sizes of its input and output.
pub struct Io<'a> {
    pub batch: usize,
    /// Values per sample in `x` and in `y`.
    pub input_len: usize,
    pub output_len: usize,
    pub x: &'a wgpu::Buffer,
    pub y: &'a wgpu::Buffer,
    pub params: &'a wgpu::Buffer,
    pub grads: &'a wgpu::Buffer,
    pub buffers: &'a wgpu::Buffer,
    /// Shared scratch ([`Scratch`]).
    pub cols: &'a wgpu::Buffer,
    pub dcols: &'a wgpu::Buffer,
    pub tmp: &'a wgpu::Buffer,
    pub partial: &'a wgpu::Buffer,
    /// The layer's own: max pooling's argmax, dropout's mask, batch norm's statistics.
    pub own: &'a wgpu::Buffer,
}

impl Io<'_> {
    /// Values in `x` and in `y`.
    pub fn in_total(&self) -> usize {
        self.batch * self.input_len
    }

    pub fn out_total(&self) -> usize {
        self.batch * self.output_len
    }
}

/// A layer on the GPU. `Mode::Eval` and `Mode::Explain` record the same launches (evaluation's
/// statistics and masks); explaining then runs backward on them.
pub trait GpuLayer {
    /// Records y = layer(x).
    fn forward(&self, gpu: &Gpu, io: &Io, mode: Mode) -> Vec<Step>;
    /// Records the backward pass: dL/dθ into the gradients' arena (overwritten), and dL/dx into
    /// `dx` when given, from dL/dy in `dy`.
    fn backward(
        &self,
        gpu: &Gpu,
        io: &Io,
        mode: Mode,
        dy: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
    ) -> Vec<Step>;
    /// The values of the layer's own buffer for a batch.
    fn own_len(&self, _batch: usize, _output_len: usize) -> usize {
        0
    }
    fn scratch(&self, _batch: usize) -> Scratch {
        Scratch::default()
    }
    /// A new dropout mask for the next training step, when this layer draws one.
    fn next_mask(&mut self, _len: usize) -> Option<Vec<f32>> {
        None
    }
    /// Whether the layer's output is its input, unchanged (no buffer of its own).
    fn is_view(&self) -> bool {
        false
    }
}
