//! `ReLU`: y = max(x, 0). Its gradient passes where the output is positive (0 at x = 0, as PyTorch).

use super::layer::{flat, flat_mut, Layer, Mode};
use ndarray::ArrayD;

#[derive(Default)]
pub struct Relu {
    /// Where the output of the last caching forward was positive: the gradient mask.
    positive: Vec<bool>,
}

impl Layer for Relu {
    fn forward(&mut self, mut x: ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let xs = flat_mut(&mut x);
        if mode.caches() {
            self.positive.clear();
            self.positive.extend(xs.iter().map(|&v| v > 0.0));
        }
        xs.iter_mut().for_each(|v| *v = v.max(0.0));
        x
    }

    // dx = dy · [y > 0]
    fn backward(&mut self, mut dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        need_dx.then(|| {
            for (d, &p) in flat_mut(&mut dy).iter_mut().zip(&self.positive) {
                // A select, not a branch, so the loop vectorises.
                *d = if p { *d } else { 0.0 };
            }
            debug_assert_eq!(flat(&dy).len(), self.positive.len());
            dy
        })
    }
}
