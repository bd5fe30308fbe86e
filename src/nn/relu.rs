//! `ReLU`: y = max(x, 0). Its gradient passes where the output is positive (0 at x = 0, as PyTorch).

use super::layer::{Layer, Mode};

pub struct Relu;

impl Layer for Relu {
    fn forward(&mut self, _batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x.max(0.0);
        }
    }

    // dx = dy · [y > 0]
    fn backward(
        &mut self,
        _batch: usize,
        _x: &[f32],
        y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let Some(dx) = dx else { return };
        for ((d, &g), &y) in dx.iter_mut().zip(dy).zip(y) {
            // A select, not a branch, so the loop vectorises.
            *d = if y > 0.0 { g } else { 0.0 };
        }
    }
}
