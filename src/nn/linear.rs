//! `Linear`: y = x·Wᵀ + b, PyTorch's layout, weight (out,in), bias (out).

use super::layer::{flat, flat_mut, pytorch_uniform, Layer, Mode, Param};
use super::plan::{product, MAX_PARAMS};
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::{Error, Result};
use crate::export::onnx::{Attr, Nodes};
use crate::field::layer_spec;
use crate::ops::gemm::MatRef;
use crate::ops::Kernels;
use crate::rng::Rng;

/// Outputs of a linear layer.
pub const MAX_FEATURES: usize = 65536;

layer_spec! {
    /// `nn.Linear(in_features, out_features, bias=True)`; `in_features` is the input's.
    pub struct LinearSpec {
        OUT_FEATURES => out_features: usize = count(1, Some(MAX_FEATURES), 10)
            .help("outputs, one weight row each");
        BIAS => bias: bool = flag(true).help("whether each output adds a learned bias");
    }
}

impl LinearSpec {
    /// `out_features` outputs, with a bias.
    pub fn new(out_features: usize) -> Self {
        let given = Given {
            out_features: Some(out_features),
            ..Given::default()
        };
        Self::try_from(given).expect("the bias has a default")
    }

    fn in_features(&self, input: &[usize]) -> Result<usize> {
        let [in_features] = input[..] else {
            return Err(Error::Invalid(format!(
                "needs a flat input, got {input:?}: add a flatten layer before it"
            )));
        };
        OUT_FEATURES.check_count(self.out_features)?;
        Ok(in_features)
    }
}

impl LayerConfig for LinearSpec {
    const ABOUT: About = About {
        label: "Linear",
        kind: "fc",
        fields: FIELDS,
        signed: true,
        kernels: false,
        sized_by_input: true,
        help: "every output a weighted sum of every input",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let (inf, outf) = (self.in_features(input)?, self.out_features);
        let params = product("the weight", &[outf, inf])?
            .checked_add(if self.bias { outf as u64 } else { 0 })
            .filter(|&p| p <= MAX_PARAMS as u64)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "its {outf}×{inf} weight has more than {MAX_PARAMS} values"
                ))
            })?;
        Ok(Planned {
            params: params as usize,
            flops: product("the FLOPs", &[2, inf, outf])?,
            ..Planned::shape(vec![outf])
        })
    }

    fn build(&self, input: &[usize], init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Linear::new(
            self.in_features(input)?,
            self.out_features,
            self.bias,
            init.rng,
        )))
    }

    fn onnx(&self, n: &mut Nodes) {
        n.op("Gemm", &["weight", "bias"], &[("transB", Attr::Int(1))]);
    }

    #[cfg(feature = "gpu")]
    fn gpu(&self, at: &crate::gpu::layers::Place) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::linear::Linear::new(self, at)))
    }
}

pub struct Linear {
    in_features: usize,
    out_features: usize,
    /// [weight (out,in), bias (out) when it has one]
    params: Vec<Param>,
    kernels: Kernels,
}

impl Linear {
    /// Initialised as PyTorch does, the weight drawn before the bias.
    pub fn new(in_features: usize, out_features: usize, bias: bool, rng: &mut Rng) -> Self {
        let weight = pytorch_uniform(&[out_features, in_features], in_features, rng);
        let mut params = vec![Param::new("weight", weight)];
        if bias {
            params.push(Param::new(
                "bias",
                pytorch_uniform(&[out_features], in_features, rng),
            ));
        }
        Linear {
            in_features,
            out_features,
            params,
            kernels: Kernels::default(),
        }
    }
}

impl Layer for Linear {
    // x (N,in) → y (N,out)
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        let w = &self.params[0];
        match self.params.get(1) {
            Some(b) => y
                .chunks_exact_mut(self.out_features)
                .for_each(|row| row.copy_from_slice(flat(&b.value))),
            None => y.fill(0.0),
        }
        let x_mat = MatRef::new(x, batch, self.in_features);
        let w_mat = MatRef::new(flat(&w.value), self.out_features, self.in_features);
        self.kernels
            .gemm(x_mat, w_mat.t(), y, self.out_features, true);
    }

    fn backward(
        &mut self,
        batch: usize,
        x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let (w, b) = self
            .params
            .split_first_mut()
            .expect("a linear layer has its weight");
        let dy_mat = MatRef::new(dy, batch, self.out_features);
        // dW += dyᵀ·x (out×N · N×in); db += Σₙ dy
        self.kernels.gemm(
            dy_mat.t(),
            MatRef::new(x, batch, self.in_features),
            flat_mut(&mut w.grad),
            self.in_features,
            true,
        );
        if let Some(b) = b.first_mut() {
            let db = flat_mut(&mut b.grad);
            for row in dy.chunks_exact(self.out_features) {
                db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
            }
        }
        // dx = dy·W (N×out · out×in)
        if let Some(dx) = dx {
            let w_mat = MatRef::new(flat(&w.value), self.out_features, self.in_features);
            self.kernels
                .gemm(dy_mat, w_mat, dx, self.in_features, false);
        }
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn set_kernels(&mut self, kernels: Kernels) {
        self.kernels = kernels;
    }
}
