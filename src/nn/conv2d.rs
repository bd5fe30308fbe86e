//! `Conv2d`: PyTorch's layer, weight (OC,C,KH,KW) and bias (OC), over the conv kernel in `ops`.

use super::layer::{flat, flat_mut, pytorch_uniform, Layer, Mode, Param};
use crate::ops::conv::{conv2d_backward, conv2d_forward, Conv2dGeometry};
use crate::rng::Rng;
use ndarray::ArrayD;

pub struct Conv2d {
    geometry: Conv2dGeometry,
    out_channels: usize,
    /// [weight (OC,C,KH,KW), bias (OC)]
    params: [Param; 2],
    /// The input of the last training forward: backward rebuilds its im2col columns.
    input: Option<ArrayD<f32>>,
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
            input: None,
        }
    }

    pub fn geometry(&self) -> &Conv2dGeometry {
        &self.geometry
    }
}

impl Layer for Conv2d {
    // x (N,C,H,W) → y (N,OC,OH,OW)
    fn forward(&mut self, x: ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let g = &self.geometry;
        let n = x.shape()[0];
        let mut y = ArrayD::zeros(vec![n, self.out_channels, g.out_h, g.out_w]);
        let [w, b] = &self.params;
        conv2d_forward(
            flat(&x),
            n,
            g,
            flat(&w.value),
            self.out_channels,
            Some(flat(&b.value)),
            flat_mut(&mut y),
        );
        if mode.caches() {
            self.input = Some(x);
        }
        y
    }

    fn backward(&mut self, dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        let x = self
            .input
            .as_ref()
            .expect("Conv2d::backward without a training forward");
        let n = x.shape()[0];
        let mut dx = need_dx.then(|| ArrayD::zeros(x.raw_dim()));
        let [w, b] = &mut self.params;
        conv2d_backward(
            flat(x),
            n,
            &self.geometry,
            flat(&w.value),
            self.out_channels,
            flat(&dy),
            flat_mut(&mut w.grad),
            Some(flat_mut(&mut b.grad)),
            dx.as_mut().map(flat_mut),
        );
        dx
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }
}
