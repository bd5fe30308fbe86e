//! `Linear` on the GPU: y = x·Wᵀ + b as one GEMM and a bias.

use super::{GpuLayer, Io, Place, Scratch, Step};
use crate::gpu::device::Gpu;
use crate::gpu::ops::{channel_sum, gemm, layout, partial_len, Matrix, Planes};
use crate::nn::linear::LinearSpec;
use crate::nn::Mode;

pub struct Linear {
    inputs: usize,
    outputs: usize,
    /// Offsets in the parameters' arena.
    weight: usize,
    bias: Option<usize>,
}

impl Linear {
    pub fn new(spec: &LinearSpec, at: &Place) -> Self {
        Linear {
            inputs: at.input.iter().product(),
            outputs: spec.out_features,
            weight: at.tensor("weight"),
            bias: (at.offset)("bias"),
        }
    }

    fn planes(&self, batch: usize) -> Planes {
        Planes {
            batch,
            planes: self.outputs,
            plane: 1,
        }
    }
}

impl GpuLayer for Linear {
    // x (N,in) → y (N,out)
    fn forward(&self, gpu: &Gpu, io: &Io, _mode: Mode) -> Vec<Step> {
        let (inputs, outputs) = (self.inputs, self.outputs);
        // y (N×out) = x (N×in) · Wᵀ
        let mut steps = gemm(
            gpu,
            io,
            [io.batch, outputs, inputs],
            Matrix::rows(io.x, 0, inputs),
            Matrix::transposed(io.params, self.weight, inputs),
            Matrix::rows(io.y, 0, outputs),
        );
        if let Some(b) = self.bias {
            let planes = self.planes(io.batch);
            steps.push(Step::Run(layout(
                gpu, "add_bias", io.params, io.y, planes, b,
            )));
        }
        steps
    }

    fn backward(
        &self,
        gpu: &Gpu,
        io: &Io,
        _mode: Mode,
        dy: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
    ) -> Vec<Step> {
        let (inputs, outputs) = (self.inputs, self.outputs);
        // dW (out×in) = dyᵀ · x
        let mut steps = gemm(
            gpu,
            io,
            [outputs, inputs, io.batch],
            Matrix::transposed(dy, 0, outputs),
            Matrix::rows(io.x, 0, inputs),
            Matrix::rows(io.grads, self.weight, inputs),
        );
        if let Some(b) = self.bias {
            let planes = self.planes(io.batch);
            steps.push(Step::Run(channel_sum(gpu, dy, io.grads, planes, b)));
        }
        if let Some(dx) = dx {
            // dx (N×in) = dy · W
            steps.extend(gemm(
                gpu,
                io,
                [io.batch, inputs, outputs],
                Matrix::rows(dy, 0, outputs),
                Matrix::rows(io.params, self.weight, inputs),
                Matrix::rows(dx, 0, inputs),
            ));
        }
        steps
    }

    fn scratch(&self, batch: usize) -> Scratch {
        let (i, o) = (self.inputs, self.outputs);
        Scratch {
            partial: [[batch, o, i], [o, i, batch], [batch, i, o]]
                .into_iter()
                .map(partial_len)
                .max()
                .unwrap_or(0),
            ..Scratch::default()
        }
    }
}
