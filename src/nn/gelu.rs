//! `GELU`: y = x·Φ(x) with Φ the standard normal CDF, ½(1 + erf(x/√2)) — PyTorch's default
//! (`approximate='none'`); dy/dx = Φ(x) + x·φ(x). With `approximate='tanh'`, Φ(x) is taken as
//! ½(1 + tanh(√(2/π)·(x + 0.044715·x³))), as PyTorch does.

use super::activation::{Activation, Elementwise};
use super::layer::Layer;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::{Graph, Nodes};
use crate::field::{layer_spec, FromField};

layer_spec! {
    /// `nn.GELU(approximate='none')`.
    pub struct GeluSpec {
        APPROXIMATE => approximate: Approximate = choice(&["none", "tanh"])
            .help("the exact normal CDF, or its tanh approximation");
    }
}

/// How Φ is computed; the names are PyTorch's (and `APPROXIMATE`'s choices, in order).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approximate {
    None,
    Tanh,
}

impl FromField for Approximate {
    fn from_field(field: &crate::field::Field) -> Self {
        match field.choices[field.value as usize] {
            "tanh" => Approximate::Tanh,
            _ => Approximate::None,
        }
    }
}

impl LayerConfig for GeluSpec {
    const ABOUT: About = About {
        label: "GELU",
        kind: "gelu",
        fields: FIELDS,
        signed: true,
        kernels: false,
        sized_by_input: false,
        help: "a smooth ReLU: each value weighted by how likely a normal draw is below it",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        Ok(Planned::shape(input.to_vec()))
    }

    fn build(&self, _input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Activation(Gelu(self.approximate))))
    }

    fn onnx(&self, n: &mut Nodes) {
        gelu_nodes(n.graph, n.name, self.approximate == Approximate::Tanh);
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

/// GELU from Erf (exact) or Tanh (approximate): x · ½(1 + erf(x/√2)), or
/// x · ½(1 + tanh(√(2/π)(x + 0.044715x³))).
fn gelu_nodes(g: &mut Graph, name: &str, tanh: bool) {
    let x = g.value.clone();
    let inner = if tanh {
        let cube = g.fresh(name);
        g.node("Mul", &[&x, &x], &cube, &[]);
        let cube2 = g.fresh(name);
        g.node("Mul", &[&cube, &x], &cube2, &[]);
        let k = g.constant(0.044715);
        let scaled = g.fresh(name);
        g.node("Mul", &[&cube2, &k], &scaled, &[]);
        let sum = g.fresh(name);
        g.node("Add", &[&x, &scaled], &sum, &[]);
        let s = g.constant((2.0 / std::f32::consts::PI).sqrt());
        let arg = g.fresh(name);
        g.node("Mul", &[&sum, &s], &arg, &[]);
        let t = g.fresh(name);
        g.node("Tanh", &[&arg], &t, &[])
    } else {
        let root2 = g.constant(std::f32::consts::SQRT_2);
        let arg = g.fresh(name);
        g.node("Div", &[&x, &root2], &arg, &[]);
        let e = g.fresh(name);
        g.node("Erf", &[&arg], &e, &[])
    };
    let one = g.constant(1.0);
    let plus = g.fresh(name);
    g.node("Add", &[&inner, &one], &plus, &[]);
    let times = g.fresh(name);
    g.node("Mul", &[&x, &plus], &times, &[]);
    let half = g.constant(0.5);
    g.value = g.node("Mul", &[&times, &half], name, &[]);
}
