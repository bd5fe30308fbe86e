//! `Tanh`: y = tanh x; dy/dx = 1 − y², from the output as PyTorch computes it.

use super::activation::{Activation, Elementwise};
use super::layer::Layer;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::Nodes;
use serde::{Deserialize, Serialize};

/// `nn.Tanh()`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TanhSpec {}

impl LayerConfig for TanhSpec {
    const ABOUT: About = About {
        label: "Tanh",
        kind: "tanh",
        fields: &[],
        signed: true,
        kernels: false,
        sized_by_input: false,
        help: "squashes each value into (−1, 1)",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        Ok(Planned::shape(input.to_vec()))
    }

    fn build(&self, _input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Activation(Tanh)))
    }

    fn onnx(&self, n: &mut Nodes) {
        n.op("Tanh", &[], &[]);
    }

    #[cfg(feature = "gpu")]
    fn gpu(
        &self,
        _at: &crate::gpu::layers::Place,
    ) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::activation::Activation::TANH))
    }
}

pub struct Tanh;

impl Elementwise for Tanh {
    fn f(&self, x: f32) -> f32 {
        libm::tanhf(x)
    }

    fn df(&self, _x: f32, y: f32) -> f32 {
        1.0 - y * y
    }
}
