//! `BatchNorm2d`: normalises each channel over (N,H,W) with the batch's statistics in training
//! and the running ones in evaluation, then scales by γ (`weight`) and shifts by β (`bias`).
//! Running statistics follow PyTorch: momentum 0.1, the unbiased batch variance.

use super::layer::{flat, flat_mut, Buffer, Layer, Mode, Param};
use ndarray::ArrayD;

pub struct BatchNorm2d {
    channels: usize,
    eps: f32,
    momentum: f32,
    /// [weight γ (C), bias β (C)]
    params: [Param; 2],
    /// [running_mean (C), running_var (C), num_batches_tracked ()]
    buffers: [Buffer; 3],
    /// From the last caching forward: x̂, 1/√(var+eps) per channel, and whether the statistics
    /// were the batch's (training) or the running ones (explaining), which are constants.
    x_hat: Option<ArrayD<f32>>,
    inv_std: Vec<f32>,
    batch_stats: bool,
}

impl BatchNorm2d {
    pub fn new(channels: usize, eps: f32, momentum: f32) -> Self {
        let c = vec![channels];
        BatchNorm2d {
            channels,
            eps,
            momentum,
            params: [
                Param::new("weight", ArrayD::ones(c.clone())),
                Param::new("bias", ArrayD::zeros(c.clone())),
            ],
            buffers: [
                Buffer {
                    name: "running_mean",
                    value: ArrayD::zeros(c.clone()),
                },
                Buffer {
                    name: "running_var",
                    value: ArrayD::ones(c),
                },
                Buffer {
                    name: "num_batches_tracked",
                    value: ArrayD::zeros(vec![]),
                },
            ],
            x_hat: None,
            inv_std: Vec::new(),
            batch_stats: false,
        }
    }

    /// (batch, spatial) sizes: x is (N,C,…) and each channel spans N × spatial values.
    fn sizes(&self, x: &ArrayD<f32>) -> (usize, usize) {
        let n = x.shape()[0];
        (n, x.len() / (n * self.channels).max(1))
    }
}

impl Layer for BatchNorm2d {
    // y = γ·(x − μ)/√(σ² + eps) + β, per channel
    fn forward(&mut self, x: ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let x = &x;
        let (n, spatial) = self.sizes(x);
        let c_count = self.channels;
        let xs = flat(x);
        let channel = |c: usize| {
            (0..n)
                .flat_map(move |b| ((b * c_count + c) * spatial)..((b * c_count + c + 1) * spatial))
        };
        let (mean, var): (Vec<f32>, Vec<f32>) = if mode == Mode::Train {
            let m = (n * spatial) as f64;
            let stats: Vec<(f32, f32)> = (0..c_count)
                .map(|c| {
                    let mean = channel(c).map(|i| xs[i] as f64).sum::<f64>() / m;
                    let var = channel(c)
                        .map(|i| (xs[i] as f64 - mean) * (xs[i] as f64 - mean))
                        .sum::<f64>()
                        / m;
                    (mean as f32, var as f32)
                })
                .collect();
            let unbias = if m > 1.0 { m / (m - 1.0) } else { 1.0 } as f32;
            let mom = self.momentum;
            let [rm, rv, nb] = &mut self.buffers;
            for (c, &(mean, var)) in stats.iter().enumerate() {
                rm.value[c] = (1.0 - mom) * rm.value[c] + mom * mean;
                rv.value[c] = (1.0 - mom) * rv.value[c] + mom * var * unbias;
            }
            nb.value.mapv_inplace(|v| v + 1.0);
            stats.into_iter().unzip()
        } else {
            (
                self.buffers[0].value.iter().copied().collect(),
                self.buffers[1].value.iter().copied().collect(),
            )
        };
        let inv_std: Vec<f32> = var.iter().map(|v| 1.0 / (v + self.eps).sqrt()).collect();
        let mut x_hat = ArrayD::zeros(x.raw_dim());
        let mut y = ArrayD::zeros(x.raw_dim());
        let [gamma, beta] = &self.params;
        {
            let (xh, ys) = (flat_mut(&mut x_hat), flat_mut(&mut y));
            for c in 0..c_count {
                for i in channel(c) {
                    xh[i] = (xs[i] - mean[c]) * inv_std[c];
                    ys[i] = gamma.value[c] * xh[i] + beta.value[c];
                }
            }
        }
        if mode.caches() {
            self.x_hat = Some(x_hat);
            self.inv_std = inv_std;
            self.batch_stats = mode == Mode::Train;
        }
        y
    }

    // dγ = Σ dy·x̂, dβ = Σ dy, dx = γ/(M·σ) · (M·dy − Σdy − x̂·Σ(dy·x̂)) with batch statistics,
    // dx = γ/σ · dy with the running ones
    fn backward(&mut self, dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        let dy = &dy;
        let x_hat = self
            .x_hat
            .as_ref()
            .expect("BatchNorm2d::backward without a training forward");
        let (n, spatial) = self.sizes(x_hat);
        let c_count = self.channels;
        let (xh, dys) = (flat(x_hat), flat(dy));
        let channel = |c: usize| {
            (0..n)
                .flat_map(move |b| ((b * c_count + c) * spatial)..((b * c_count + c + 1) * spatial))
        };
        let m = (n * spatial) as f32;
        let mut dx = need_dx.then(|| ArrayD::zeros(x_hat.raw_dim()));
        let [gamma, beta] = &mut self.params;
        for c in 0..c_count {
            let sum_dy: f32 = channel(c).map(|i| dys[i]).sum();
            let sum_dy_xh: f32 = channel(c).map(|i| dys[i] * xh[i]).sum();
            gamma.grad[c] += sum_dy_xh;
            beta.grad[c] += sum_dy;
            if let Some(dx) = dx.as_mut() {
                let dxs = flat_mut(dx);
                let k = gamma.value[c] * self.inv_std[c];
                for i in channel(c) {
                    dxs[i] = if self.batch_stats {
                        k / m * (m * dys[i] - sum_dy - xh[i] * sum_dy_xh)
                    } else {
                        k * dys[i]
                    };
                }
            }
        }
        dx
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn buffers(&self) -> &[Buffer] {
        &self.buffers
    }

    fn buffers_mut(&mut self) -> &mut [Buffer] {
        &mut self.buffers
    }
}
