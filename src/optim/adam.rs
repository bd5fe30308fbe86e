//! Adam, exactly as PyTorch's `torch.optim.Adam` (single-tensor path):
//! m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε).
//! Weight decay, when set, is L2 added to the gradient (not AdamW).

use super::{state, Optimizer};
use crate::nn::Param;

pub struct Adam {
    lr: f32,
    betas: (f32, f32),
    eps: f32,
    weight_decay: f32,
    t: u32,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

impl Adam {
    pub fn new(lr: f32, betas: (f32, f32), eps: f32, weight_decay: f32) -> Self {
        Adam {
            lr,
            betas,
            eps,
            weight_decay,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }
}

/// The step size lr/(1−β₁ᵗ) and √(1−β₂ᵗ) of update t (from 1): the bias corrections, in
/// double precision as PyTorch computes them in Python floats.
pub fn corrections(lr: f32, (b1, b2): (f32, f32), t: u32) -> (f32, f32) {
    let bc1 = 1.0 - libm::pow(b1 as f64, t as f64);
    let bc2_sqrt = (1.0 - libm::pow(b2 as f64, t as f64)).sqrt();
    ((lr as f64 / bc1) as f32, bc2_sqrt as f32)
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut dyn Iterator<Item = &mut Param>) {
        self.t += 1;
        let (b1, b2) = self.betas;
        let (step_size, bc2_sqrt) = corrections(self.lr, self.betas, self.t);
        for (i, p) in params.enumerate() {
            let m = state(&mut self.m, i, p.value.len());
            let v = state(&mut self.v, i, p.value.len());
            let value = p.value.as_slice_mut().expect("standard layout");
            let grad = p.grad.as_slice().expect("standard layout");
            for (((x, &g), m), v) in value
                .iter_mut()
                .zip(grad)
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                let g = g + self.weight_decay * *x;
                *m += (g - *m) * (1.0 - b1);
                *v = *v * b2 + (1.0 - b2) * g * g;
                *x -= step_size * *m / (v.sqrt() / bc2_sqrt + self.eps);
            }
        }
    }

    fn lr(&self) -> f32 {
        self.lr
    }

    fn set_lr(&mut self, lr: f32) {
        self.lr = lr;
    }
}
