//! `GELU`: y = x·Φ(x) with Φ the standard normal CDF, ½(1 + erf(x/√2)) — PyTorch's default
//! (`approximate='none'`); dy/dx = Φ(x) + x·φ(x). With `approximate='tanh'`, Φ(x) is taken as
//! ½(1 + tanh(√(2/π)·(x + 0.044715·x³))), as PyTorch does.

use super::activation::{Activation, Elementwise};
use super::layer::Layer;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::field::Field;
use serde::{Deserialize, Serialize};

const APPROXIMATE: Field = Field::choice("approximate", &["none", "tanh"])
    .help("the exact normal CDF, or its tanh approximation");

/// `nn.GELU(approximate='none')`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeluSpec {
    #[serde(default)]
    pub approximate: Approximate,
}

/// How Φ is computed; the names are PyTorch's (and [`APPROXIMATE`]'s choices, in order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approximate {
    #[default]
    None,
    Tanh,
}

impl LayerConfig for GeluSpec {
    const ABOUT: About = About {
        label: "GELU",
        kind: "gelu",
        fields: &[APPROXIMATE],
        signed: true,
        kernels: false,
        help: "a smooth ReLU: each value weighted by how likely a normal draw is below it",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        Ok(Planned::shape(input.to_vec()))
    }

    fn build(&self, _input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Activation(Gelu(self.approximate))))
    }

    #[cfg(feature = "gpu")]
    fn gpu(
        &self,
        _at: &crate::gpu::layers::Place,
    ) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::activation::Activation::gelu(
            self,
        )))
    }
}

pub struct Gelu(pub Approximate);

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// 1/√(2π), the normal density's scale, and √(2/π).
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;
const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const CUBIC: f32 = 0.044_715;

impl Elementwise for Gelu {
    fn f(&self, x: f32) -> f32 {
        match self.0 {
            Approximate::None => x * 0.5 * (1.0 + libm::erff(x * FRAC_1_SQRT_2)),
            Approximate::Tanh => {
                let inner = SQRT_2_OVER_PI * (x + CUBIC * x * x * x);
                0.5 * x * (1.0 + libm::tanhf(inner))
            }
        }
    }

    fn df(&self, x: f32, _y: f32) -> f32 {
        match self.0 {
            Approximate::None => {
                let cdf = 0.5 * (1.0 + libm::erff(x * FRAC_1_SQRT_2));
                let pdf = FRAC_1_SQRT_2PI * libm::expf(-0.5 * x * x);
                cdf + x * pdf
            }
            // d/dx ½x(1 + tanh u) = ½(1 + tanh u) + ½x(1 − tanh²u)·u′, u′ = √(2/π)(1 + 3·0.044715x²)
            Approximate::Tanh => {
                let t = libm::tanhf(SQRT_2_OVER_PI * (x + CUBIC * x * x * x));
                let du = SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * x * x);
                0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
            }
        }
    }
}
