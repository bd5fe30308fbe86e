//! `Flatten` on the GPU: a view, its output its input's buffer; nothing to launch.

use super::{GpuLayer, Io, Step};
use crate::gpu::device::Gpu;
use crate::nn::Mode;

pub struct Flatten;

impl GpuLayer for Flatten {
    fn forward(&self, _gpu: &Gpu, _io: &Io, _mode: Mode) -> Vec<Step> {
        Vec::new()
    }

    fn backward(
        &self,
        _gpu: &Gpu,
        _io: &Io,
        _mode: Mode,
        _dy: &wgpu::Buffer,
        _dx: Option<&wgpu::Buffer>,
    ) -> Vec<Step> {
        Vec::new()
    }

    fn is_view(&self) -> bool {
        true
    }
}
