//! `Sigmoid`: y = 1/(1 + e^−x); dy/dx = y(1 − y), from the output as PyTorch computes it.

use super::activation::{Activation, Elementwise};
use super::layer::Layer;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::Nodes;
use serde::{Deserialize, Serialize};

/// `nn.Sigmoid()`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmoidSpec {}

impl LayerConfig for SigmoidSpec {
    const ABOUT: About = About {
        label: "Sigmoid",
        kind: "sigmoid",
        fields: &[],
        signed: false,
        kernels: false,
        sized_by_input: false,
        help: "squashes each value into (0, 1)",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        Ok(Planned::shape(input.to_vec()))
    }

    fn build(&self, _input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Activation(Sigmoid)))
    }

    fn onnx(&self, n: &mut Nodes) {
        n.op("Sigmoid", &[], &[]);
    }

    #[cfg(feature = "gpu")]
    fn gpu(
        &self,
        _at: &crate::gpu::layers::Place,
    ) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(
            crate::gpu::layers::activation::Activation::SIGMOID,
        ))
    }
}

pub struct Sigmoid;

impl Elementwise for Sigmoid {
    fn f(&self, x: f32) -> f32 {
        1.0 / (1.0 + libm::expf(-x))
    }

    fn df(&self, _x: f32, y: f32) -> f32 {
        y * (1.0 - y)
    }
}
