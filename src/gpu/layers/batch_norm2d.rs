//! `BatchNorm2d` on the GPU: per-channel statistics (the batch's in training, the running ones
//! otherwise) into the layer's own buffer, then the normalisation; backward its two kernels.

use super::{GpuLayer, Io, Place, Step};
use crate::gpu::device::{line_groups, Gpu};
use crate::gpu::kernel::{batch_norm, u};
use crate::nn::batch_norm2d::BatchNorm2dSpec;
use crate::nn::Mode;

pub struct BatchNorm2d {
    channels: usize,
    eps: f32,
    momentum: f32,
    /// Offsets of its weight (then its bias) in the parameters' arena, and of its running
    /// statistics in the buffers' arena.
    weight: usize,
    running: usize,
}

impl BatchNorm2d {
    pub fn new(spec: &BatchNorm2dSpec, at: &Place) -> Self {
        BatchNorm2d {
            channels: at.input[0],
            eps: spec.eps,
            momentum: spec.momentum,
            weight: at.tensor("weight"),
            running: at.tensor("running_mean"),
        }
    }

    fn args(&self, io: &Io, mode: Mode) -> batch_norm::Args {
        batch_norm::Args {
            channels: u(self.channels),
            spatial: u(io.output_len / self.channels),
            batch: u(io.batch),
            len: u(io.out_total()),
            param_off: u(self.weight),
            grad_off: u(self.weight),
            buf_off: u(self.running),
            train: (mode == Mode::Train) as u32,
            eps: self.eps,
            momentum: self.momentum,
        }
    }
}

impl GpuLayer for BatchNorm2d {
    // x (N,C,H,W) → y (N,C,H,W); own: the statistics used, per channel
    fn forward(&self, gpu: &Gpu, io: &Io, mode: Mode) -> Vec<Step> {
        let args = self.args(io, mode);
        let stats = match mode {
            Mode::Train => gpu.dispatch(
                batch_norm::entry("batch_stats"),
                &args,
                batch_norm::Buffers {
                    x: Some(io.x),
                    out: Some(io.own),
                    out2: Some(io.buffers),
                    ..Default::default()
                },
                (self.channels as u32, 1, 1),
            ),
            Mode::Eval | Mode::Explain => gpu.dispatch(
                batch_norm::entry("running_stats"),
                &args,
                batch_norm::Buffers {
                    s: Some(io.buffers),
                    out: Some(io.own),
                    ..Default::default()
                },
                line_groups(self.channels),
            ),
        };
        let normalize = gpu.dispatch(
            batch_norm::entry("normalize"),
            &args,
            batch_norm::Buffers {
                x: Some(io.x),
                params: Some(io.params),
                s: Some(io.own),
                out: Some(io.y),
                ..Default::default()
            },
            line_groups(io.out_total()),
        );
        vec![Step::Run(stats), Step::Run(normalize)]
    }

    fn backward(
        &self,
        gpu: &Gpu,
        io: &Io,
        mode: Mode,
        dy: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
    ) -> Vec<Step> {
        let args = self.args(io, mode);
        let mut steps = vec![Step::Run(gpu.dispatch(
            batch_norm::entry("param_grads"),
            &args,
            batch_norm::Buffers {
                x: Some(io.x),
                dy: Some(dy),
                s: Some(io.own),
                out: Some(io.grads),
                ..Default::default()
            },
            (self.channels as u32, 1, 1),
        ))];
        if let Some(dx) = dx {
            steps.push(Step::Run(gpu.dispatch(
                batch_norm::entry("backward"),
                &args,
                batch_norm::Buffers {
                    x: Some(io.x),
                    dy: Some(dy),
                    params: Some(io.params),
                    s: Some(io.own),
                    out: Some(dx),
                    out2: Some(io.grads),
                },
                line_groups(io.out_total()),
            )));
        }
        steps
    }

    fn own_len(&self, _batch: usize, _output_len: usize) -> usize {
        2 * self.channels
    }
}
