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

/// Channel `c`'s planes (one per sample) of an NCHW array with `spatial` values per plane.
fn planes(data: &[f32], spatial: usize, c: usize, channels: usize) -> impl Iterator<Item = &[f32]> {
    data.chunks_exact(spatial).skip(c).step_by(channels)
}

impl Layer for BatchNorm2d {
    // y = γ·(x − μ)/√(σ² + eps) + β, per channel
    fn forward(&mut self, x: ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let (n, spatial) = self.sizes(&x);
        let c_count = self.channels;
        let xs = flat(&x);
        let (mean, var): (Vec<f32>, Vec<f32>) = if mode == Mode::Train {
            let m = (n * spatial) as f64;
            let stats: Vec<(f32, f32)> = (0..c_count)
                .map(|c| {
                    let sum = |f: &dyn Fn(f32) -> f64| {
                        planes(xs, spatial, c, c_count)
                            .flatten()
                            .map(|&v| f(v))
                            .sum::<f64>()
                    };
                    let mean = sum(&|v| v as f64) / m;
                    let var = sum(&|v| (v as f64 - mean) * (v as f64 - mean)) / m;
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
        let mut y = x;
        let [gamma, beta] = &self.params;
        // Planes of NCHW cycle through the channels: plane i is channel i mod C.
        for (i, (xh, yp)) in flat_mut(&mut x_hat)
            .chunks_exact_mut(spatial)
            .zip(flat_mut(&mut y).chunks_exact_mut(spatial))
            .enumerate()
        {
            let c = i % c_count;
            let (mu, k, g, b) = (mean[c], inv_std[c], gamma.value[c], beta.value[c]);
            for (h, v) in xh.iter_mut().zip(yp.iter_mut()) {
                *h = (*v - mu) * k;
                *v = g * *h + b;
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
    fn backward(&mut self, mut dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        let x_hat = self
            .x_hat
            .as_ref()
            .expect("BatchNorm2d::backward without a training forward");
        let (n, spatial) = self.sizes(x_hat);
        let c_count = self.channels;
        let m = (n * spatial) as f32;
        let xh = flat(x_hat);
        let [gamma, beta] = &mut self.params;
        let mut sums = vec![(0.0f32, 0.0f32); c_count];
        for (c, (sum_dy, sum_dy_xh)) in sums.iter_mut().enumerate() {
            for (d, h) in
                planes(flat(&dy), spatial, c, c_count).zip(planes(xh, spatial, c, c_count))
            {
                *sum_dy += d.iter().sum::<f32>();
                *sum_dy_xh += d.iter().zip(h).map(|(a, b)| a * b).sum::<f32>();
            }
            gamma.grad[c] += *sum_dy_xh;
            beta.grad[c] += *sum_dy;
        }
        if !need_dx {
            return None;
        }
        // dy becomes dx in place, plane by plane.
        for (i, (d, h)) in flat_mut(&mut dy)
            .chunks_exact_mut(spatial)
            .zip(xh.chunks_exact(spatial))
            .enumerate()
        {
            let c = i % c_count;
            let k = gamma.value[c] * self.inv_std[c];
            let (sum_dy, sum_dy_xh) = sums[c];
            for (d, &h) in d.iter_mut().zip(h) {
                *d = if self.batch_stats {
                    k / m * (m * *d - sum_dy - h * sum_dy_xh)
                } else {
                    k * *d
                };
            }
        }
        Some(dy)
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
