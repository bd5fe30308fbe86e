//! `ReLU`: y = max(x, 0), NaN staying NaN. Its gradient passes except where the output is 0
//! (0 at x = 0), as PyTorch's.

use super::layer::{Layer, Mode};
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::Nodes;
use serde::{Deserialize, Serialize};

/// `nn.ReLU()`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReluSpec {}

impl LayerConfig for ReluSpec {
    const ABOUT: About = About {
        label: "ReLU",
        kind: "relu",
        fields: &[],
        signed: false,
        kernels: false,
        sized_by_input: false,
        help: "keeps positive values, zeroes the rest",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        Ok(Planned::shape(input.to_vec()))
    }

    fn build(&self, _input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Relu))
    }

    fn onnx(&self, n: &mut Nodes) {
        n.op("Relu", &[], &[]);
    }

    #[cfg(feature = "gpu")]
    fn gpu(
        &self,
        _at: &crate::gpu::layers::Place,
    ) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::activation::Activation::RELU))
    }
}

pub struct Relu;

impl Layer for Relu {
    fn forward(&mut self, _batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        for (y, &x) in y.iter_mut().zip(x) {
            // A select, not f32::max: wasm has no instruction for max's NaN rule, so `max` would
            // become a call per value instead of four values per vector instruction.
            *y = if x <= 0.0 { 0.0 } else { x };
        }
    }

    // dx = dy · [y ≰ 0]
    fn backward(
        &mut self,
        _batch: usize,
        _x: &[f32],
        y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let Some(dx) = dx else { return };
        for ((d, &g), &y) in dx.iter_mut().zip(dy).zip(y) {
            // A select, not a branch, so the loop vectorises; a NaN output passes its gradient
            // on, as PyTorch's threshold_backward does.
            *d = if y <= 0.0 { 0.0 } else { g };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negatives_become_zero_and_nan_stays_nan_as_in_pytorch() {
        let x = [f32::NAN, -1.0, -0.0, 0.0, 2.5, f32::NEG_INFINITY];
        let mut y = [7.0; 6];
        Relu.forward(1, &x, &mut y, Mode::Eval);
        assert!(y[0].is_nan());
        assert_eq!(y[1..], [0.0, 0.0, 0.0, 2.5, 0.0]);
    }
}
