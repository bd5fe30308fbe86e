//! `LeakyReLU`: y = x for x > 0, else negative_slope·x; its gradient 1 or negative_slope, as
//! PyTorch's (the slope at 0 itself).

use super::activation::{Activation, Elementwise};
use super::layer::Layer;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::{Attr, Nodes};
use crate::field::layer_spec;

layer_spec! {
    /// `nn.LeakyReLU(negative_slope=0.01)`.
    pub struct LeakyReluSpec {
        NEGATIVE_SLOPE => negative_slope: f32 = number(0.0, Some(1.0), 0.01)
            .optional()
            .help("the slope for negative inputs");
    }
}

impl LayerConfig for LeakyReluSpec {
    const ABOUT: About = About {
        label: "LeakyReLU",
        kind: "lrelu",
        fields: FIELDS,
        signed: true,
        kernels: false,
        sized_by_input: false,
        help: "keeps positive values, scales negative ones down",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        NEGATIVE_SLOPE.check_number(self.negative_slope)?;
        Ok(Planned::shape(input.to_vec()))
    }

    fn build(&self, _input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Activation(LeakyRelu(self.negative_slope))))
    }

    fn onnx(&self, n: &mut Nodes) {
        n.op(
            "LeakyRelu",
            &[],
            &[("alpha", Attr::Float(self.negative_slope))],
        );
    }

    #[cfg(feature = "gpu")]
    fn gpu(
        &self,
        _at: &crate::gpu::layers::Place,
    ) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(
            crate::gpu::layers::activation::Activation::leaky_relu(self),
        ))
    }
}

/// The negative slope.
pub struct LeakyRelu(pub f32);

impl Elementwise for LeakyRelu {
    fn f(&self, x: f32) -> f32 {
        if x > 0.0 {
            x
        } else {
            self.0 * x
        }
    }

    fn df(&self, x: f32, _y: f32) -> f32 {
        if x > 0.0 {
            1.0
        } else {
            self.0
        }
    }
}
