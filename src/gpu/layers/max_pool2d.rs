//! `MaxPool2d` on the GPU: each output's maximum and where it was (the layer's own buffer),
//! whose gradient goes back there.

use super::{GpuLayer, Io, Place, Step};
use crate::error::Result;
use crate::gpu::device::Gpu;
use crate::gpu::kernel::pool::Buffers;
use crate::gpu::ops::{pool, pool_args};
use crate::nn::max_pool2d::MaxPool2dSpec;
use crate::nn::pool_window::PoolWindow;
use crate::nn::Mode;

pub struct MaxPool2d(PoolWindow);

impl MaxPool2d {
    pub fn new(spec: &MaxPool2dSpec, at: &Place) -> Result<Self> {
        Ok(MaxPool2d(spec.pool(at.input)?.window()))
    }
}

impl GpuLayer for MaxPool2d {
    // x (N,C,H,W) → y (N,C,OH,OW), argmax (N,C,OH,OW)
    fn forward(&self, gpu: &Gpu, io: &Io, _mode: Mode) -> Vec<Step> {
        let buffers = Buffers {
            src: Some(io.x),
            dst: Some(io.y),
            arg_out: Some(io.own),
            ..Default::default()
        };
        let args = pool_args(&self.0, io.batch, io.out_total());
        vec![Step::Run(pool(gpu, "max_pool", args, buffers))]
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
            arg: Some(io.own),
            dst: Some(dx),
            ..Default::default()
        };
        let args = pool_args(&self.0, io.batch, io.in_total());
        vec![Step::Run(pool(gpu, "max_pool_backward", args, buffers))]
    }

    fn own_len(&self, batch: usize, output_len: usize) -> usize {
        batch * output_len
    }
}
