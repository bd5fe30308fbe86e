//! `Linear`: y = x·Wᵀ + b, PyTorch's layout, weight (out,in), bias (out).

use super::layer::{flat, flat_mut, pytorch_uniform, Layer, Mode, Param};
use crate::ops::gemm::{gemm, MatRef};
use crate::rng::Rng;
use ndarray::ArrayD;

pub struct Linear {
    in_features: usize,
    out_features: usize,
    /// [weight (out,in), bias (out)]
    params: [Param; 2],
    /// The input of the last training forward, for dW = dyᵀ·x.
    input: Option<ArrayD<f32>>,
}

impl Linear {
    pub fn new(in_features: usize, out_features: usize, rng: &mut Rng) -> Self {
        let weight = pytorch_uniform(&[out_features, in_features], in_features, rng);
        let bias = pytorch_uniform(&[out_features], in_features, rng);
        Linear {
            in_features,
            out_features,
            params: [Param::new("weight", weight), Param::new("bias", bias)],
            input: None,
        }
    }
}

impl Layer for Linear {
    // x (N,in) → y (N,out)
    fn forward(&mut self, x: ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let n = x.shape()[0];
        let [w, b] = &self.params;
        let mut y = ArrayD::zeros(vec![n, self.out_features]);
        let ys = flat_mut(&mut y);
        for row in ys.chunks_exact_mut(self.out_features) {
            row.copy_from_slice(flat(&b.value));
        }
        let x_mat = MatRef::new(flat(&x), n, self.in_features);
        let w_mat = MatRef::new(flat(&w.value), self.out_features, self.in_features);
        gemm(x_mat, w_mat.t(), ys, self.out_features, true);
        if mode.caches() {
            self.input = Some(x);
        }
        y
    }

    fn backward(&mut self, dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        let x = self
            .input
            .as_ref()
            .expect("Linear::backward without a training forward");
        let n = x.shape()[0];
        let [w, b] = &mut self.params;
        let dy_mat = MatRef::new(flat(&dy), n, self.out_features);
        // dW += dyᵀ·x (out×N · N×in); db += Σₙ dy
        gemm(
            dy_mat.t(),
            MatRef::new(flat(x), n, self.in_features),
            flat_mut(&mut w.grad),
            self.in_features,
            true,
        );
        let db = flat_mut(&mut b.grad);
        for row in flat(&dy).chunks_exact(self.out_features) {
            db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
        }
        // dx = dy·W (N×out · out×in)
        need_dx.then(|| {
            let mut dx = ArrayD::zeros(x.raw_dim());
            let w_mat = MatRef::new(flat(&w.value), self.out_features, self.in_features);
            gemm(dy_mat, w_mat, flat_mut(&mut dx), self.in_features, false);
            dx
        })
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }
}
