//! The recipes offered by name, in the CLI's `--recipe` and the page's menu: a network and the
//! settings to train it. Written here once; the page learns them from the core.

use super::{Schedule, TrainConfig};
use crate::error::{Error, Result};
use crate::nn::ModelSpec;
use crate::optim::OptimizerSpec;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recipe {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// Its network in words, for a file read as it.
    pub network: &'static str,
    pub spec: ModelSpec,
    pub config: TrainConfig,
}

impl Recipe {
    /// Every recipe, the tutorial's first. A file of weights alone is read as the first whose
    /// network its tensors fit: the improved network (with dropout) before the fast one, whose
    /// tensors are the same.
    pub fn all() -> Vec<Recipe> {
        vec![
            Recipe {
                name: "tutorial",
                label: "The tutorial's",
                help: "The tutorial's network, trained as it does: Adam 0.001, batch 64",
                network: "the tutorial's network (conv1, conv2, fc1, fc2, as in its PyTorch code)",
                spec: ModelSpec::tutorial(),
                config: TrainConfig::default(),
            },
            // The best model in a few minutes: 99.3 % or so after five epochs.
            Recipe {
                name: "improved",
                label: "Improved (batch norm, dropout…)",
                help: "Batch norm after each conv, dropout before the classifier, Adam 0.002 with a cosine rate, images shifted by up to 2 px",
                network: "the improved recipe's network (batch norm, dropout)",
                spec: ModelSpec::improved(),
                config: TrainConfig {
                    optimizer: OptimizerSpec::adam(2e-3),
                    schedule: Schedule::Cosine,
                    shift: 2,
                    ..TrainConfig::default()
                },
            },
            // 99 % in one epoch (99.10–99.17 % natively over seeds 0–2; 98.95–99.12 % without
            // the smoothing): batch norm lets a high rate be used, one cycle of it lands the run at
            // its best in one pass, and smoothed labels keep it from overconfidence.
            // bench/time-to-accuracy.mjs times it in the page.
            Recipe {
                name: "fast",
                label: "Fast (99 % in one epoch)",
                help: "Batch norm after each conv, Adam 0.004 in one cycle (a quarter warming up, then a cosine down to zero), labels smoothed by 0.1, one epoch",
                network: "the fast recipe's network (batch norm after each conv)",
                spec: ModelSpec::tutorial_bn(),
                config: TrainConfig {
                    epochs: 1,
                    optimizer: OptimizerSpec::adam(4e-3),
                    schedule: Schedule::OneCycle,
                    label_smoothing: 0.1,
                    ..TrainConfig::default()
                },
            },
        ]
    }

    pub fn named(name: &str) -> Result<Recipe> {
        let all = Self::all();
        let names: Vec<_> = all.iter().map(|r| r.name).collect();
        all.into_iter().find(|r| r.name == name).ok_or_else(|| {
            Error::Invalid(format!(
                "'{name}' is not a recipe: one of {}",
                names.join(", ")
            ))
        })
    }
}
