//! `Flatten`: (N,C,H,W) → (N, C·H·W) in PyTorch's order (channel, row, column) — which is
//! simply the memory order of NCHW, so values are copied as they lie.

use super::layer::{Layer, Mode};

pub struct Flatten;

impl Layer for Flatten {
    fn forward(&mut self, _batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        y.copy_from_slice(x);
    }

    fn backward(
        &mut self,
        _batch: usize,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
    }
}
