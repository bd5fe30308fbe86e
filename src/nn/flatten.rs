//! `Flatten`: (N,C,H,W) → (N, C·H·W) in PyTorch's order (channel, row, column) — which is
//! simply the memory order of NCHW, so no value moves.

use super::layer::{Layer, Mode};
use ndarray::{ArrayD, IxDyn};

#[derive(Default)]
pub struct Flatten {
    input_shape: Vec<usize>,
}

impl Layer for Flatten {
    fn forward(&mut self, x: ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let n = x.shape()[0];
        if mode.caches() {
            self.input_shape = x.shape().to_vec();
        }
        let features = x.len() / n.max(1);
        x.into_shape_with_order(IxDyn(&[n, features]))
            .expect("layers keep arrays contiguous")
    }

    fn backward(&mut self, dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        need_dx.then(|| {
            dy.into_shape_with_order(IxDyn(&self.input_shape))
                .expect("contiguous")
        })
    }
}
