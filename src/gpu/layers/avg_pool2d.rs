//! `AvgPool2d` on the GPU: each output the mean of its window (padding counted), whose gradient
//! is spread back evenly.

use super::{GpuLayer, Io, Place, Step};
use crate::error::Result;
use crate::gpu::device::Gpu;
use crate::gpu::kernel::pool::{Args, Buffers};
use crate::gpu::kernel::u;
use crate::gpu::ops::{pool, pool_args};
use crate::nn::avg_pool2d::AvgPool2dSpec;
use crate::nn::Mode;

/// Average pooling over the windows one sample's arguments describe: fixed here, adaptive in
/// `adaptive_avg_pool2d`.
pub struct AvgPool2d {
    pub(super) sample: Args,
}

impl AvgPool2d {
    pub fn new(spec: &AvgPool2dSpec, at: &Place) -> Result<Self> {
        let sample = pool_args(&spec.pool(at.input)?.0, 1, 0);
        Ok(AvgPool2d { sample })
    }

    /// The arguments for a batch of `batch`, over `len` values.
    fn args(&self, batch: usize, len: usize) -> Args {
        Args {
            planes: u(batch * self.sample.planes as usize),
            len: u(len),
            ..self.sample
        }
    }
}

impl GpuLayer for AvgPool2d {
    // x (N,C,H,W) → y (N,C,OH,OW)
    fn forward(&self, gpu: &Gpu, io: &Io, _mode: Mode) -> Vec<Step> {
        let buffers = Buffers {
            src: Some(io.x),
            dst: Some(io.y),
            ..Default::default()
        };
        let args = self.args(io.batch, io.out_total());
        vec![Step::Run(pool(gpu, "avg_pool", args, buffers))]
    }

    fn backward(
        &self,
        gpu: &Gpu,
        io: &Io,
        _mode: Mode,
        dy: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
    ) -> Vec<Step> {
        let Some(dx) = dx else { return Vec::new() };
        let buffers = Buffers {
            src: Some(dy),
            dst: Some(dx),
            ..Default::default()
        };
        let args = self.args(io.batch, io.in_total());
        vec![Step::Run(pool(gpu, "avg_pool_backward", args, buffers))]
    }
}
