//! `Dropout(p)`: in training, zeroes each activation with probability p and scales the rest by
//! 1/(1−p) (inverted dropout, as PyTorch), so evaluation is the identity.

use super::layer::{Layer, Mode};
use crate::rng::Rng;

pub struct Dropout {
    p: f32,
    rng: Rng,
    /// The scale applied to each activation in the last training forward: 0 or 1/(1−p). Empty
    /// when that forward was the identity (evaluation, or p = 0).
    mask: Vec<f32>,
}

impl Dropout {
    pub fn new(p: f32, rng: Rng) -> Self {
        Dropout {
            p,
            rng,
            mask: Vec::new(),
        }
    }
}

impl Layer for Dropout {
    fn forward(&mut self, _batch: usize, x: &[f32], y: &mut [f32], mode: Mode) {
        self.mask.clear();
        if mode != Mode::Train || self.p == 0.0 {
            y.copy_from_slice(x);
            return;
        }
        let keep = 1.0 / (1.0 - self.p);
        let (p, rng) = (self.p, &mut self.rng);
        self.mask
            .extend((0..x.len()).map(|_| if rng.next_f32() < p { 0.0 } else { keep }));
        for ((y, &x), &m) in y.iter_mut().zip(x).zip(&self.mask) {
            *y = x * m;
        }
    }

    // dx = dy · mask
    fn backward(
        &mut self,
        _batch: usize,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let Some(dx) = dx else { return };
        if self.mask.is_empty() {
            dx.copy_from_slice(dy);
        } else {
            for ((d, &g), &m) in dx.iter_mut().zip(dy).zip(&self.mask) {
                *d = g * m;
            }
        }
    }
}
