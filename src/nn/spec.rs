//! A network described as data: the input shape and a list of layer specs. Serde-able, so the
//! page can edit an architecture and a checkpoint can carry it.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Per-sample input shape (C,H,W): MNIST is [1, 28, 28].
    pub input: [usize; 3],
    pub layers: Vec<LayerSpec>,
}

/// One layer. Defaults follow PyTorch (`stride` 1 and `padding` 0 for a conv; pooling stride =
/// its kernel; BatchNorm eps 1e-5 and momentum 0.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerSpec {
    Conv2d {
        out_channels: usize,
        kernel_size: usize,
        #[serde(default = "defaults::stride")]
        stride: usize,
        #[serde(default)]
        padding: usize,
    },
    Relu,
    MaxPool2d {
        #[serde(default = "defaults::pool")]
        kernel_size: usize,
        /// None: the kernel size.
        #[serde(default)]
        stride: Option<usize>,
    },
    Flatten,
    Linear {
        out_features: usize,
    },
    Dropout {
        p: f32,
    },
    BatchNorm2d {
        #[serde(default = "defaults::eps")]
        eps: f32,
        #[serde(default = "defaults::momentum")]
        momentum: f32,
    },
}

mod defaults {
    pub fn stride() -> usize {
        1
    }
    pub fn pool() -> usize {
        2
    }
    pub fn eps() -> f32 {
        1e-5
    }
    pub fn momentum() -> f32 {
        0.1
    }
}

impl LayerSpec {
    /// The word used in layer names and messages: conv, relu, pool, flat, fc, dropout, bn.
    pub fn kind(&self) -> &'static str {
        match self {
            LayerSpec::Conv2d { .. } => "conv",
            LayerSpec::Relu => "relu",
            LayerSpec::MaxPool2d { .. } => "pool",
            LayerSpec::Flatten => "flat",
            LayerSpec::Linear { .. } => "fc",
            LayerSpec::Dropout { .. } => "dropout",
            LayerSpec::BatchNorm2d { .. } => "bn",
        }
    }
}

impl ModelSpec {
    /// The tutorial's network: conv 16 → ReLU → pool → conv 32 → ReLU → pool → flatten →
    /// fc 128 → ReLU → fc 10, on 1×28×28 inputs.
    pub fn tutorial() -> Self {
        use LayerSpec::*;
        let conv = |out_channels| Conv2d {
            out_channels,
            kernel_size: 3,
            stride: 1,
            padding: 1,
        };
        let pool = || MaxPool2d {
            kernel_size: 2,
            stride: None,
        };
        ModelSpec {
            input: [1, 28, 28],
            layers: vec![
                conv(16),
                Relu,
                pool(),
                conv(32),
                Relu,
                pool(),
                Flatten,
                Linear { out_features: 128 },
                Relu,
                Linear { out_features: 10 },
            ],
        }
    }

    /// The tutorial's network with batch normalisation after each conv and dropout before the
    /// classifier: the "improved" recipe.
    pub fn tutorial_bn() -> Self {
        use LayerSpec::*;
        let mut spec = Self::tutorial();
        let bn = || BatchNorm2d {
            eps: 1e-5,
            momentum: 0.1,
        };
        spec.layers.insert(4, bn());
        spec.layers.insert(1, bn());
        let fc2 = spec.layers.len() - 1;
        spec.layers.insert(fc2, Dropout { p: 0.25 });
        spec
    }

    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Format(format!("architecture JSON: {e}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a spec always serialises")
    }
}
