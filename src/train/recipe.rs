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
    pub spec: ModelSpec,
    pub config: TrainConfig,
}

impl Recipe {
    /// Every recipe, the tutorial's first.
    pub fn all() -> Vec<Recipe> {
        vec![
            Recipe {
                name: "tutorial",
                label: "The tutorial's",
                help: "The tutorial's network, trained as it does: Adam 0.001, batch 64",
                spec: ModelSpec::tutorial(),
                config: TrainConfig::default(),
            },
            // 99 % in about two epochs.
            Recipe {
                name: "improved",
                label: "Improved (batch norm, dropout…)",
                help: "Batch norm after each conv, dropout before the classifier, Adam 0.002 with a cosine rate, digits shifted by up to 2 px",
                spec: ModelSpec::tutorial_bn(),
                config: TrainConfig {
                    optimizer: OptimizerSpec::adam(2e-3),
                    schedule: Schedule::Cosine,
                    shift: 2,
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
