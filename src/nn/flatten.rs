//! `Flatten`: (N,C,H,W) → (N, C·H·W) in PyTorch's order (channel, row, column) — which is
//! simply the memory order of NCHW, so values are copied as they lie.

use super::layer::{Layer, Mode};
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::{Error, Result};
use crate::export::onnx::{Attr, Nodes};
use serde::{Deserialize, Serialize};

/// `nn.Flatten()`: every dimension but the batch's into one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlattenSpec {}

impl LayerConfig for FlattenSpec {
    const ABOUT: About = About {
        label: "Flatten",
        kind: "flat",
        fields: &[],
        signed: false,
        kernels: false,
        sized_by_input: false,
        help: "lays the feature maps out as one vector",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let flat = input
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| Error::Invalid(format!("{input:?} is too large to flatten")))?;
        Ok(Planned::shape(vec![flat]))
    }

    fn build(&self, _input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Flatten))
    }

    fn onnx(&self, n: &mut Nodes) {
        n.op("Flatten", &[], &[("axis", Attr::Int(1))]);
    }

    #[cfg(feature = "gpu")]
    fn gpu(
        &self,
        _at: &crate::gpu::layers::Place,
    ) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::flatten::Flatten))
    }
}

pub struct Flatten;

impl Layer for Flatten {
    fn forward(&mut self, _batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        y.copy_from_slice(x);
    }

    fn backward(
        &mut self,
        _batch: usize,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
    }
}
