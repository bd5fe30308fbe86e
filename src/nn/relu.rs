//! `ReLU`: y = max(x, 0). Its gradient passes where the output is positive (0 at x = 0, as PyTorch).

use super::layer::{Layer, Mode};
use ndarray::{ArrayD, Zip};

#[derive(Default)]
pub struct Relu {
    /// The output of the last training forward: its sign is the gradient mask.
    output: Option<ArrayD<f32>>,
}

impl Layer for Relu {
    fn forward(&mut self, x: &ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let y = x.mapv(|v| v.max(0.0));
        if mode.caches() {
            self.output = Some(y.clone());
        }
        y
    }

    // dx = dy · [y > 0]
    fn backward(&mut self, dy: &ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        let y = self
            .output
            .as_ref()
            .expect("Relu::backward without a training forward");
        need_dx.then(|| {
            let mut dx = dy.clone();
            Zip::from(&mut dx).and(y).for_each(|d, &y| {
                if y <= 0.0 {
                    *d = 0.0
                }
            });
            dx
        })
    }
}
