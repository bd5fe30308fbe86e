//! `Conv2d`: PyTorch's layer, weight (OC,C,KH,KW) and bias (OC), over the conv kernel in `ops`.

use super::layer::{flat, flat_mut, pytorch_uniform, Layer, Mode, Param};
use crate::ops::conv::{conv2d_backward, conv2d_forward, Conv2dGeometry};
use crate::rng::Rng;

pub struct Conv2d {
    geometry: Conv2dGeometry,
    out_channels: usize,
    /// [weight (OC,C,KH,KW), bias (OC)]
    params: [Param; 2],
}

impl Conv2d {
    pub fn new(geometry: Conv2dGeometry, out_channels: usize, rng: &mut Rng) -> Self {
        let g = geometry;
        let fan_in = g.patch_len();
        let weight = pytorch_uniform(
            &[out_channels, g.in_channels, g.kernel_h, g.kernel_w],
            fan_in,
            rng,
        );
        let bias = pytorch_uniform(&[out_channels], fan_in, rng);
        Conv2d {
            geometry,
            out_channels,
            params: [Param::new("weight", weight), Param::new("bias", bias)],
        }
    }

    pub fn geometry(&self) -> &Conv2dGeometry {
        &self.geometry
    }
}

impl Layer for Conv2d {
    // x (N,C,H,W) → y (N,OC,OH,OW)
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        let [w, b] = &self.params;
        conv2d_forward(
            x,
            batch,
            &self.geometry,
            flat(&w.value),
            self.out_channels,
            Some(flat(&b.value)),
            y,
        );
    }

    // Backward rebuilds x's im2col columns rather than keeping them from forward.
    fn backward(
        &mut self,
        batch: usize,
        x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let [w, b] = &mut self.params;
        conv2d_backward(
            x,
            batch,
            &self.geometry,
            flat(&w.value),
            self.out_channels,
            dy,
            flat_mut(&mut w.grad),
            Some(flat_mut(&mut b.grad)),
            dx,
        );
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }
}
