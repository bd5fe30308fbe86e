//! `Dropout(p)`: in training, zeroes each activation with probability p and scales the rest by
//! 1/(1−p) (inverted dropout, as PyTorch), so evaluation is the identity.

use super::layer::{Layer, Mode};
use crate::rng::Rng;
use ndarray::{ArrayD, Zip};

pub struct Dropout {
    p: f32,
    rng: Rng,
    /// The scale applied to each activation in the last training forward: 0 or 1/(1−p).
    mask: Option<ArrayD<f32>>,
}

impl Dropout {
    pub fn new(p: f32, rng: Rng) -> Self {
        Dropout { p, rng, mask: None }
    }
}

impl Layer for Dropout {
    fn forward(&mut self, x: ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        if mode != Mode::Train || self.p == 0.0 {
            self.mask = None;
            return x;
        }
        let keep = 1.0 / (1.0 - self.p);
        let mask = ArrayD::from_shape_simple_fn(x.raw_dim(), || {
            if self.rng.next_f32() < self.p {
                0.0
            } else {
                keep
            }
        });
        let y = x * &mask;
        self.mask = Some(mask);
        y
    }

    // dx = dy · mask
    fn backward(&mut self, mut dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        need_dx.then(|| {
            if let Some(mask) = &self.mask {
                Zip::from(&mut dy).and(mask).for_each(|d, &m| *d *= m);
            }
            dy
        })
    }
}
