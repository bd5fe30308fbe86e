//! Optimisers: they read each parameter's accumulated gradient and update its value. The
//! learning rate can change between steps (schedules, the page's controls).

pub mod adam;
pub mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

use crate::field::Field;
use crate::nn::Param;
use serde::{Deserialize, Serialize};

pub trait Optimizer: Send {
    /// One update of every parameter from its `grad`; `params` come in the same order each call.
    fn step(&mut self, params: &mut dyn Iterator<Item = &mut Param>);
    fn lr(&self) -> f32;
    fn set_lr(&mut self, lr: f32);
}

/// An optimiser as data, with PyTorch's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerSpec {
    Adam {
        lr: f32,
        #[serde(default = "default_betas")]
        betas: (f32, f32),
        #[serde(default = "default_eps")]
        eps: f32,
        #[serde(default)]
        weight_decay: f32,
    },
    Sgd {
        lr: f32,
        #[serde(default)]
        momentum: f32,
        #[serde(default)]
        weight_decay: f32,
        #[serde(default)]
        nesterov: bool,
    },
}

/// The learning rate: the tutorial's by default.
pub const LR: Field = Field::number("lr", 0.0, None, 1e-3)
    .above_min()
    .help("how far each update moves the weights");

/// True for finite numbers ≥ 0 (false for NaN).
fn non_negative(v: f32) -> bool {
    (0.0..f32::INFINITY).contains(&v)
}

fn default_betas() -> (f32, f32) {
    (0.9, 0.999)
}

fn default_eps() -> f32 {
    1e-8
}

impl OptimizerSpec {
    /// The tutorial's: `Adam(lr=0.001)`.
    pub fn adam(lr: f32) -> Self {
        OptimizerSpec::Adam {
            lr,
            betas: default_betas(),
            eps: default_eps(),
            weight_decay: 0.0,
        }
    }

    pub fn build(&self) -> crate::Result<Box<dyn Optimizer>> {
        let bad = |what: &str| Err(crate::Error::Invalid(format!("optimiser: {what}")));
        match *self {
            OptimizerSpec::Adam {
                lr,
                betas,
                eps,
                weight_decay,
            } => {
                LR.check_number(lr)?;
                if !(0.0..1.0).contains(&betas.0)
                    || !(0.0..1.0).contains(&betas.1)
                    || !non_negative(eps)
                    || !non_negative(weight_decay)
                {
                    return bad("betas must be in [0, 1), eps and weight decay non-negative");
                }
                Ok(Box::new(Adam::new(lr, betas, eps, weight_decay)))
            }
            OptimizerSpec::Sgd {
                lr,
                momentum,
                weight_decay,
                nesterov,
            } => {
                LR.check_number(lr)?;
                if !non_negative(momentum)
                    || !non_negative(weight_decay)
                    || (nesterov && momentum == 0.0)
                {
                    return bad(
                        "momentum and weight decay must be non-negative; Nesterov needs momentum",
                    );
                }
                Ok(Box::new(Sgd::new(lr, momentum, weight_decay, nesterov)))
            }
        }
    }
}

/// The state vector of the `i`-th parameter, which has `len` values: zeros the first time,
/// then kept from step to step. An optimiser serves one network: a new architecture or a loaded
/// model gets a new optimiser (the trainer is rebuilt); a size that changes anyway restarts
/// that parameter's state rather than reading past it.
pub(crate) fn state(states: &mut Vec<Vec<f32>>, i: usize, len: usize) -> &mut [f32] {
    if states.len() <= i {
        states.push(Vec::new());
    }
    let s = &mut states[i];
    if s.len() != len {
        *s = vec![0.0; len];
    }
    s
}
