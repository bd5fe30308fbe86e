//! `Linear`: y = x·Wᵀ + b, PyTorch's layout, weight (out,in), bias (out).

use super::layer::{flat, flat_mut, pytorch_uniform, Layer, Mode, Param};
use crate::ops::gemm::{gemm, MatRef};
use crate::rng::Rng;

pub struct Linear {
    in_features: usize,
    out_features: usize,
    /// [weight (out,in), bias (out)]
    params: [Param; 2],
}

impl Linear {
    pub fn new(in_features: usize, out_features: usize, rng: &mut Rng) -> Self {
        let weight = pytorch_uniform(&[out_features, in_features], in_features, rng);
        let bias = pytorch_uniform(&[out_features], in_features, rng);
        Linear {
            in_features,
            out_features,
            params: [Param::new("weight", weight), Param::new("bias", bias)],
        }
    }
}

impl Layer for Linear {
    // x (N,in) → y (N,out)
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        let [w, b] = &self.params;
        for row in y.chunks_exact_mut(self.out_features) {
            row.copy_from_slice(flat(&b.value));
        }
        let x_mat = MatRef::new(x, batch, self.in_features);
        let w_mat = MatRef::new(flat(&w.value), self.out_features, self.in_features);
        gemm(x_mat, w_mat.t(), y, self.out_features, true);
    }

    fn backward(
        &mut self,
        batch: usize,
        x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let [w, b] = &mut self.params;
        let dy_mat = MatRef::new(dy, batch, self.out_features);
        // dW += dyᵀ·x (out×N · N×in); db += Σₙ dy
        gemm(
            dy_mat.t(),
            MatRef::new(x, batch, self.in_features),
            flat_mut(&mut w.grad),
            self.in_features,
            true,
        );
        let db = flat_mut(&mut b.grad);
        for row in dy.chunks_exact(self.out_features) {
            db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
        }
        // dx = dy·W (N×out · out×in)
        if let Some(dx) = dx {
            let w_mat = MatRef::new(flat(&w.value), self.out_features, self.in_features);
            gemm(dy_mat, w_mat, dx, self.in_features, false);
        }
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }
}
