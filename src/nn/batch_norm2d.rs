//! `BatchNorm2d`: normalises each channel over (N,H,W) with the batch's statistics in training
//! and the running ones in evaluation, then scales by γ (`weight`) and shifts by β (`bias`).
//! Running statistics follow PyTorch: momentum 0.1, the unbiased batch variance.

use super::layer::{Buffer, Layer, Mode, Param};
use super::plan::{image, product};
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::{Attr, Nodes};
use crate::field::layer_spec;
use ndarray::ArrayD;

layer_spec! {
    /// `nn.BatchNorm2d(num_features, eps=1e-5, momentum=0.1)`; `num_features` is the input's
    /// channels.
    pub struct BatchNorm2dSpec {
        EPS => eps: f32 = number(0.0, None, 1e-5)
            .above_min()
            .optional()
            .help("added to the variance before its square root");
        MOMENTUM => momentum: f32 = number(0.0, Some(1.0), 0.1)
            .optional()
            .help("weight of each batch in the running statistics");
    }
}

impl Default for BatchNorm2dSpec {
    fn default() -> Self {
        Self::try_from(Given::default()).expect("every field has a default")
    }
}

impl BatchNorm2dSpec {
    fn channels(&self, input: &[usize]) -> Result<usize> {
        let (channels, _, _) = image(input)?;
        EPS.check_number(self.eps)?;
        MOMENTUM.check_number(self.momentum)?;
        Ok(channels)
    }
}

impl LayerConfig for BatchNorm2dSpec {
    const ABOUT: About = About {
        label: "BatchNorm2d",
        kind: "bn",
        fields: FIELDS,
        signed: true,
        kernels: false,
        sized_by_input: true,
        help: "normalises each channel, then scales and shifts it",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let channels = self.channels(input)?;
        Ok(Planned {
            params: 2 * channels,
            // x̂.
            cache: product("the input", input)?,
            ..Planned::shape(input.to_vec())
        })
    }

    fn build(&self, input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        let channels = self.channels(input)?;
        Ok(Box::new(BatchNorm2d::new(
            channels,
            self.eps,
            self.momentum,
        )))
    }

    fn onnx(&self, n: &mut Nodes) {
        let tensors = ["weight", "bias", "running_mean", "running_var"];
        n.op(
            "BatchNormalization",
            &tensors,
            &[("epsilon", Attr::Float(self.eps))],
        );
    }

    #[cfg(feature = "gpu")]
    fn gpu(&self, at: &crate::gpu::layers::Place) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(
            crate::gpu::layers::batch_norm2d::BatchNorm2d::new(self, at),
        ))
    }
}

pub struct BatchNorm2d {
    channels: usize,
    eps: f32,
    momentum: f32,
    /// [weight γ (C), bias β (C)]
    params: [Param; 2],
    /// [running_mean (C), running_var (C), num_batches_tracked ()]
    buffers: [Buffer; 3],
    /// From the last forward: the mean and variance used per channel, 1/√(var+eps), x̂, and
    /// whether the statistics were the batch's (training) or the running ones (evaluating,
    /// explaining), which are constants. Kept with their capacity from step to step.
    mean: Vec<f32>,
    var: Vec<f32>,
    inv_std: Vec<f32>,
    x_hat: Vec<f32>,
    batch_stats: bool,
    /// Backward's per-channel (Σdy, Σdy·x̂).
    sums: Vec<(f32, f32)>,
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
            mean: Vec::new(),
            var: Vec::new(),
            inv_std: Vec::new(),
            x_hat: Vec::new(),
            batch_stats: false,
            sums: Vec::new(),
        }
    }

    /// Values per channel plane of a batch of `len` values: x is (N,C,…).
    fn spatial(&self, batch: usize, len: usize) -> usize {
        len / (batch * self.channels).max(1)
    }
}

/// Channel `c`'s planes (one per sample) of an NCHW array with `spatial` values per plane.
fn planes(data: &[f32], spatial: usize, c: usize, channels: usize) -> impl Iterator<Item = &[f32]> {
    data.chunks_exact(spatial).skip(c).step_by(channels)
}

impl Layer for BatchNorm2d {
    // y = γ·(x − μ)/√(σ² + eps) + β, per channel
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], mode: Mode) {
        let spatial = self.spatial(batch, x.len());
        let c_count = self.channels;
        self.batch_stats = mode == Mode::Train;
        let [rm, rv, nb] = &mut self.buffers;
        if self.batch_stats {
            let m = (batch * spatial) as f64;
            self.mean.clear();
            self.var.clear();
            for c in 0..c_count {
                let sum = |f: &dyn Fn(f32) -> f64| {
                    planes(x, spatial, c, c_count)
                        .flatten()
                        .map(|&v| f(v))
                        .sum::<f64>()
                };
                let mean = sum(&|v| v as f64) / m;
                let var = sum(&|v| (v as f64 - mean) * (v as f64 - mean)) / m;
                self.mean.push(mean as f32);
                self.var.push(var as f32);
            }
            let unbias = if m > 1.0 { m / (m - 1.0) } else { 1.0 } as f32;
            let mom = self.momentum;
            for c in 0..c_count {
                rm.value[c] = (1.0 - mom) * rm.value[c] + mom * self.mean[c];
                rv.value[c] = (1.0 - mom) * rv.value[c] + mom * self.var[c] * unbias;
            }
            nb.value.mapv_inplace(|v| v + 1.0);
        } else {
            self.mean.clear();
            self.mean.extend(rm.value.iter());
            self.var.clear();
            self.var.extend(rv.value.iter());
        }
        let eps = self.eps;
        self.inv_std.clear();
        self.inv_std
            .extend(self.var.iter().map(|v| 1.0 / (v + eps).sqrt()));
        self.x_hat.resize(x.len(), 0.0);
        let [gamma, beta] = &self.params;
        // Planes of NCHW cycle through the channels: plane i is channel i mod C.
        for (i, ((xh, yp), xp)) in self
            .x_hat
            .chunks_exact_mut(spatial)
            .zip(y.chunks_exact_mut(spatial))
            .zip(x.chunks_exact(spatial))
            .enumerate()
        {
            let c = i % c_count;
            let (mu, k, g, b) = (self.mean[c], self.inv_std[c], gamma.value[c], beta.value[c]);
            for ((h, y), &v) in xh.iter_mut().zip(yp.iter_mut()).zip(xp) {
                *h = (v - mu) * k;
                *y = g * *h + b;
            }
        }
    }

    // dγ = Σ dy·x̂, dβ = Σ dy, dx = γ/(M·σ) · (M·dy − Σdy − x̂·Σ(dy·x̂)) with batch statistics,
    // dx = γ/σ · dy with the running ones
    fn backward(
        &mut self,
        batch: usize,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let spatial = self.spatial(batch, dy.len());
        let c_count = self.channels;
        let m = (batch * spatial) as f32;
        let xh = &self.x_hat[..];
        let [gamma, beta] = &mut self.params;
        self.sums.clear();
        for c in 0..c_count {
            let (mut sum_dy, mut sum_dy_xh) = (0.0f32, 0.0f32);
            for (d, h) in planes(dy, spatial, c, c_count).zip(planes(xh, spatial, c, c_count)) {
                sum_dy += d.iter().sum::<f32>();
                sum_dy_xh += d.iter().zip(h).map(|(a, b)| a * b).sum::<f32>();
            }
            gamma.grad[c] += sum_dy_xh;
            beta.grad[c] += sum_dy;
            self.sums.push((sum_dy, sum_dy_xh));
        }
        let Some(dx) = dx else { return };
        for (i, ((dp, gp), hp)) in dx
            .chunks_exact_mut(spatial)
            .zip(dy.chunks_exact(spatial))
            .zip(xh.chunks_exact(spatial))
            .enumerate()
        {
            let c = i % c_count;
            let k = gamma.value[c] * self.inv_std[c];
            let (sum_dy, sum_dy_xh) = self.sums[c];
            for ((d, &g), &h) in dp.iter_mut().zip(gp).zip(hp) {
                *d = if self.batch_stats {
                    k / m * (m * g - sum_dy - h * sum_dy_xh)
                } else {
                    k * g
                };
            }
        }
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
