//! `Dropout` on the GPU: its masks are drawn on the host, by the CPU layer's rule and from the
//! same generator ([`crate::nn::dropout::draw_mask`]), and uploaded before each training step.

use super::{GpuLayer, Io, Place, Step};
use crate::gpu::device::Gpu;
use crate::gpu::ops::{copy, multiply};
use crate::nn::dropout::{draw_mask, DropoutSpec, SALT};
use crate::nn::spec::own_rng;
use crate::nn::Mode;
use crate::rng::Rng;

pub struct Dropout {
    p: f32,
    rng: Rng,
}

impl Dropout {
    pub fn new(spec: &DropoutSpec, at: &Place) -> Self {
        Dropout {
            p: spec.p,
            rng: own_rng(at.seed, at.index, SALT),
        }
    }

    /// Whether a pass is the identity.
    fn identity(&self, mode: Mode) -> bool {
        mode != Mode::Train || self.p == 0.0
    }
}

impl GpuLayer for Dropout {
    // y = x · mask
    fn forward(&self, gpu: &Gpu, io: &Io, mode: Mode) -> Vec<Step> {
        if self.identity(mode) {
            vec![copy(io.x, io.y, io.in_total())]
        } else {
            vec![Step::Run(multiply(gpu, io.x, io.own, io.y, io.out_total()))]
        }
    }

    // dx = dy · mask
    fn backward(
        &self,
        gpu: &Gpu,
        io: &Io,
        mode: Mode,
        dy: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
    ) -> Vec<Step> {
        match dx {
            Some(dx) if self.identity(mode) => vec![copy(dy, dx, io.in_total())],
            Some(dx) => vec![Step::Run(multiply(gpu, dy, io.own, dx, io.out_total()))],
            None => Vec::new(),
        }
    }

    fn own_len(&self, batch: usize, output_len: usize) -> usize {
        batch * output_len
    }

    fn next_mask(&mut self, len: usize) -> Option<Vec<f32>> {
        let mut mask = Vec::new();
        draw_mask(self.p, &mut self.rng, len, &mut mask);
        (!mask.is_empty()).then_some(mask)
    }
}
