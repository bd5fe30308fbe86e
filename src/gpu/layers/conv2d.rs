//! `Conv2d` on the GPU: im2col, then one GEMM per group, laid out as NCHW, plus the bias.

use super::{GpuLayer, Io, Place, Scratch, Step};
use crate::error::Result;
use crate::gpu::device::Gpu;
use crate::gpu::ops::{channel_sum, gemm, im2col, layout, partial_len, Columns, Matrix, Planes};
use crate::nn::conv2d::Conv2dSpec;
use crate::nn::Mode;
use crate::ops::conv::Conv2dGeometry;

pub struct Conv2d {
    /// One group's convolution (its input channels C/G), as on the CPU.
    geometry: Conv2dGeometry,
    groups: usize,
    out_channels: usize,
    /// Offsets in the parameters' arena.
    weight: usize,
    bias: Option<usize>,
}

impl Conv2d {
    pub fn new(spec: &Conv2dSpec, at: &Place) -> Result<Self> {
        Ok(Conv2d {
            geometry: spec.geometry(at.input)?,
            groups: spec.groups,
            out_channels: spec.out_channels,
            weight: at.tensor("weight"),
            bias: (at.offset)("bias"),
        })
    }

    /// For a batch: N·P (the GEMMs' long side), Kg (a group's patch) and Cog (a group's
    /// output channels).
    fn sizes(&self, batch: usize) -> (usize, usize, usize) {
        let g = &self.geometry;
        (
            batch * g.out_h * g.out_w,
            g.patch_len(),
            self.out_channels / self.groups,
        )
    }

    /// x's im2col columns, for every group: forward's input to the GEMMs, and backward's again
    /// (rebuilt rather than kept from forward).
    fn columns(&self, gpu: &Gpu, io: &Io) -> Step {
        let g = &self.geometry;
        Step::Run(im2col(
            gpu,
            io.batch,
            g,
            self.groups,
            Columns::Gather,
            io.x,
            io.cols,
        ))
    }

    fn planes(&self, batch: usize) -> Planes {
        Planes {
            batch,
            planes: self.out_channels,
            plane: self.geometry.out_h * self.geometry.out_w,
        }
    }
}

impl GpuLayer for Conv2d {
    // x (N,C,H,W) → y (N,OC,OH,OW)
    fn forward(&self, gpu: &Gpu, io: &Io, _mode: Mode) -> Vec<Step> {
        let (np, kg, cog) = self.sizes(io.batch);
        let groups = self.groups;
        let mut steps = vec![self.columns(gpu, io)];
        for grp in 0..groups {
            // tmp[g·Cog.., NP] = W_g (Cog×Kg) · cols[g·Kg.., NP]
            steps.extend(gemm(
                gpu,
                io,
                [cog, np, kg],
                Matrix::rows(io.params, self.weight + grp * cog * kg, kg),
                Matrix::rows(io.cols, grp * kg * np, np),
                Matrix::rows(io.tmp, grp * cog * np, np),
            ));
        }
        let planes = self.planes(io.batch);
        steps.push(Step::Run(layout(gpu, "to_ncp", io.tmp, io.y, planes, 0)));
        if let Some(b) = self.bias {
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
        let (np, kg, cog) = self.sizes(io.batch);
        let (g, groups) = (&self.geometry, self.groups);
        let planes = self.planes(io.batch);
        let mut steps = vec![
            // dy in the GEMM's (C, N·P) layout, and the columns again.
            Step::Run(layout(gpu, "to_cp", dy, io.tmp, planes, 0)),
            self.columns(gpu, io),
        ];
        for grp in 0..groups {
            // dW_g (Cog×Kg) = dy_g (Cog×NP) · cols_gᵀ
            steps.extend(gemm(
                gpu,
                io,
                [cog, kg, np],
                Matrix::rows(io.tmp, grp * cog * np, np),
                Matrix::transposed(io.cols, grp * kg * np, np),
                Matrix::rows(io.grads, self.weight + grp * cog * kg, kg),
            ));
        }
        if let Some(b) = self.bias {
            steps.push(Step::Run(channel_sum(gpu, dy, io.grads, planes, b)));
        }
        if let Some(dx) = dx {
            for grp in 0..groups {
                // dcols_g (Kg×NP) = W_gᵀ · dy_g
                steps.extend(gemm(
                    gpu,
                    io,
                    [kg, np, cog],
                    Matrix::transposed(io.params, self.weight + grp * cog * kg, kg),
                    Matrix::rows(io.tmp, grp * cog * np, np),
                    Matrix::rows(io.dcols, grp * kg * np, np),
                ));
            }
            steps.push(Step::Run(im2col(
                gpu,
                io.batch,
                g,
                groups,
                Columns::Scatter,
                io.dcols,
                dx,
            )));
        }
        steps
    }

    fn scratch(&self, batch: usize) -> Scratch {
        let (np, kg, cog) = self.sizes(batch);
        Scratch {
            cols: self.groups * kg * np,
            tmp: self.out_channels * np,
            partial: [[cog, np, kg], [cog, kg, np], [kg, np, cog]]
                .into_iter()
                .map(partial_len)
                .max()
                .unwrap_or(0),
        }
    }
}
