//! SGD with momentum and weight decay, as PyTorch's `torch.optim.SGD` (dampening 0):
//! g ← g + λθ; b ← μb + g (b = g on the first step); θ ← θ − lr·(Nesterov ? g + μb : b).

use super::{state, Optimizer};
use crate::nn::Param;

pub struct Sgd {
    lr: f32,
    momentum: f32,
    weight_decay: f32,
    nesterov: bool,
    started: bool,
    buf: Vec<Vec<f32>>,
}

impl Sgd {
    pub fn new(lr: f32, momentum: f32, weight_decay: f32, nesterov: bool) -> Self {
        Sgd {
            lr,
            momentum,
            weight_decay,
            nesterov,
            started: false,
            buf: Vec::new(),
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut dyn Iterator<Item = &mut Param>) {
        let mu = self.momentum;
        for (i, p) in params.enumerate() {
            let buf = state(&mut self.buf, i, p.value.len());
            let value = p.value.as_slice_mut().expect("standard layout");
            let grad = p.grad.as_slice().expect("standard layout");
            for ((x, &g), b) in value.iter_mut().zip(grad).zip(buf.iter_mut()) {
                let g = g + self.weight_decay * *x;
                let d = if mu == 0.0 {
                    g
                } else {
                    *b = if self.started { mu * *b + g } else { g };
                    if self.nesterov {
                        g + mu * *b
                    } else {
                        *b
                    }
                };
                *x -= self.lr * d;
            }
        }
        self.started = true;
    }

    fn lr(&self) -> f32 {
        self.lr
    }

    fn set_lr(&mut self, lr: f32) {
        self.lr = lr;
    }
}
