//! `GELU`: y = x·Φ(x) with Φ the standard normal CDF, ½(1 + erf(x/√2)) — PyTorch's default
//! (`approximate='none'`); dy/dx = Φ(x) + x·φ(x).

use super::activation::{Activation, Elementwise};
use super::layer::Layer;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// `nn.GELU()`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeluSpec {}

impl LayerConfig for GeluSpec {
    const ABOUT: About = About {
        label: "GELU",
        kind: "gelu",
        fields: &[],
        signed: true,
        kernels: false,
        help: "a smooth ReLU: each value weighted by how likely a normal draw is below it",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        Ok(Planned::shape(input.to_vec()))
    }

    fn build(&self, _input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Activation(Gelu)))
    }
}

pub struct Gelu;

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// 1/√(2π), the normal density's scale.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

impl Elementwise for Gelu {
    fn f(&self, x: f32) -> f32 {
        x * 0.5 * (1.0 + libm::erff(x * FRAC_1_SQRT_2))
    }

    fn df(&self, x: f32, _y: f32) -> f32 {
        let cdf = 0.5 * (1.0 + libm::erff(x * FRAC_1_SQRT_2));
        let pdf = FRAC_1_SQRT_2PI * libm::expf(-0.5 * x * x);
        cdf + x * pdf
    }
}
