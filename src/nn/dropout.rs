//! `Dropout(p)`: in training, zeroes each activation with probability p and scales the rest by
//! 1/(1−p) (inverted dropout, as PyTorch), so evaluation is the identity.

use super::layer::{Layer, Mode};
use super::plan::product;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::Nodes;
use crate::field::layer_spec;
use crate::rng::Rng;

layer_spec! {
    /// `nn.Dropout(p=0.5)`.
    pub struct DropoutSpec {
        P => p: f32 = number(0.0, Some(1.0), 0.5)
            .below_max()
            .optional()
            .help("chance that a value is zeroed in training");
    }
}

/// Tells dropout's generators from other layer types' ([`crate::nn::spec::own_rng`]).
pub const SALT: u64 = 0xD50;

/// A new mask of `len` values for a training step, on every device: each 0 with probability
/// `p`, else 1/(1−p). Empty when p = 0 (the layer is the identity).
pub fn draw_mask(p: f32, rng: &mut Rng, len: usize, mask: &mut Vec<f32>) {
    mask.clear();
    if p == 0.0 {
        return;
    }
    let keep = 1.0 / (1.0 - p);
    mask.extend((0..len).map(|_| if rng.next_f32() < p { 0.0 } else { keep }));
}

impl LayerConfig for DropoutSpec {
    const ABOUT: About = About {
        label: "Dropout",
        kind: "dropout",
        fields: FIELDS,
        signed: false,
        kernels: false,
        sized_by_input: false,
        help: "zeroes random values while training",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        P.check_number(self.p)?;
        Ok(Planned {
            // The mask.
            cache: product("the input", input)?,
            ..Planned::shape(input.to_vec())
        })
    }

    fn build(&self, _input: &[usize], init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Dropout::new(self.p, init.own_rng(SALT))))
    }

    fn onnx(&self, _n: &mut Nodes) {
        // The identity at inference: no node.
    }

    #[cfg(feature = "gpu")]
    fn gpu(&self, at: &crate::gpu::layers::Place) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::dropout::Dropout::new(
            self, at,
        )))
    }
}

pub struct Dropout {
    p: f32,
    rng: Rng,
    /// The scale applied to each activation in the last training forward: 0 or 1/(1−p). Empty
    /// when that forward was the identity (evaluation, or p = 0).
    mask: Vec<f32>,
}

impl Dropout {
    pub fn new(p: f32, rng: Rng) -> Self {
        Dropout {
            p,
            rng,
            mask: Vec::new(),
        }
    }
}

impl Layer for Dropout {
    fn forward(&mut self, _batch: usize, x: &[f32], y: &mut [f32], mode: Mode) {
        self.mask.clear();
        if mode == Mode::Train {
            draw_mask(self.p, &mut self.rng, x.len(), &mut self.mask);
        }
        if self.mask.is_empty() {
            y.copy_from_slice(x);
            return;
        }
        for ((y, &x), &m) in y.iter_mut().zip(x).zip(&self.mask) {
            *y = x * m;
        }
    }

    // dx = dy · mask
    fn backward(
        &mut self,
        _batch: usize,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let Some(dx) = dx else { return };
        if self.mask.is_empty() {
            dx.copy_from_slice(dy);
        } else {
            for ((d, &g), &m) in dx.iter_mut().zip(dy).zip(&self.mask) {
                *d = g * m;
            }
        }
    }
}
