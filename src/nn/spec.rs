//! A network described as data: the input shape and a list of layer specs. Serde-able, so the
//! page can edit an architecture and a checkpoint can carry it.
//!
//! Each layer's spec lives in the layer's own file and owns everything about it (burn's
//! config-and-init pattern): its fields with PyTorch's names and defaults, their ranges, each
//! declared once (`layer_spec!`, in `field.rs`), its output shape, parameters and FLOPs
//! ([`LayerConfig::plan`]), its construction on the CPU ([`LayerConfig::build`]) and on the GPU
//! ([`LayerConfig::gpu`], whose launches are its file in `gpu/layers/`), and its ONNX nodes
//! ([`LayerConfig::onnx`]). [`LayerSpec`] is the list of them, one line per layer type.
//!
//! Adding a layer: its file in `nn/` (the spec, with PyTorch's name and fields in its `About`,
//! and the CPU layer), its file in `gpu/layers/` with its WGSL entry points, its line below and
//! its `mod` lines, and its test cases (`tests/gradcheck.rs`, `tests/gpu.rs`, and its case in
//! `scripts/fixtures.py` for PyTorch's values). The compiler names every method a spec must
//! answer; the page, the CLI and the exports learn the type from [`LayerSpec::types`].

use super::batch_norm2d::BatchNorm2dSpec;
use super::conv2d::Conv2dSpec;
use super::dropout::DropoutSpec;
use super::flatten::FlattenSpec;
use super::layer::Layer;
use super::linear::LinearSpec;
use super::max_pool2d::MaxPool2dSpec;
use super::relu::ReluSpec;
use crate::data::builtin::MNIST;
use crate::data::ImageShape;
use crate::error::{Error, Result};
use crate::field::Field;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// What a layer type is, for messages and the page: its name in PyTorch, the word its layers are
/// named by (conv1, fc2), its fields and how the page draws its output.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct About {
    /// PyTorch's class name: Conv2d.
    pub label: &'static str,
    /// The word in layer names and messages: conv, relu, pool, flat, fc, dropout, bn.
    pub kind: &'static str,
    pub fields: &'static [Field],
    /// Whether its outputs are typically of both signs (drawn on a diverging colour map).
    pub signed: bool,
    /// Whether it has kernels to draw.
    pub kernels: bool,
    /// Whether PyTorch's constructor takes the input's size first, which the playground infers
    /// (in_channels, in_features, num_features): the PyTorch export writes it.
    #[serde(skip)]
    pub sized_by_input: bool,
    pub help: &'static str,
}

/// A layer's sizes for one per-sample input shape, checked: what its spec computes
/// ([`LayerConfig::plan`]), and what the network's plan keeps of each layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// Per-sample output shape.
    pub output_shape: Vec<usize>,
    pub params: usize,
    /// Floating-point operations of one sample's forward pass (a multiply-add counts 2).
    pub flops: u64,
    /// Values kept per sample for backward besides the input and output (pooling's maxima,
    /// dropout's mask, batch norm's x̂).
    pub cache: u64,
    /// Values used once per step whatever the batch (a convolution's im2col bands).
    pub scratch: u64,
}

impl Planned {
    /// A layer without parameters or work of its own: output `shape`, nothing kept.
    pub fn shape(output_shape: Vec<usize>) -> Self {
        Planned {
            output_shape,
            params: 0,
            flops: 0,
            cache: 0,
            scratch: 0,
        }
    }
}

/// What a layer is built with: the generator its weights are initialised from (shared, in layer
/// order, so that a network's initial weights follow from one seed as PyTorch's do) and the
/// means to give a layer a generator of its own.
pub struct Init<'a> {
    pub rng: &'a mut Rng,
    seed: u64,
    index: usize,
}

impl<'a> Init<'a> {
    pub fn new(rng: &'a mut Rng, seed: u64, index: usize) -> Self {
        Init { rng, seed, index }
    }

    /// See [`own_rng`].
    pub fn own_rng(&self, salt: u64) -> Rng {
        own_rng(self.seed, self.index, salt)
    }
}

/// A generator for layer `index` alone (dropout's masks), from the model's seed, so that
/// drawing from it never shifts any other layer's numbers; `salt` tells layer types apart. The
/// same on every device.
pub fn own_rng(seed: u64, index: usize, salt: u64) -> Rng {
    Rng::new(seed ^ (salt + index as u64))
}

/// A layer type's spec.
pub trait LayerConfig {
    const ABOUT: About;
    /// The output shape and sizes for a per-sample input of `input`, every value checked; the
    /// error says why without naming the layer (the plan adds that).
    fn plan(&self, input: &[usize]) -> Result<Planned>;
    /// The layer, for an input `plan` accepted.
    fn build(&self, input: &[usize], init: &mut Init) -> Result<Box<dyn Layer>>;
    /// The layer as ONNX nodes (`export/onnx.rs`), at inference.
    fn onnx(&self, nodes: &mut crate::export::onnx::Nodes);
    /// The layer's GPU half (`gpu/layers/`), for an input `plan` accepted, its tensors where
    /// `at` says.
    #[cfg(feature = "gpu")]
    fn gpu(&self, at: &crate::gpu::layers::Place) -> Result<Box<dyn crate::gpu::layers::GpuLayer>>;
}

/// Declares [`LayerSpec`] from one line per layer type: `Variant(Spec) = "json type"`.
macro_rules! layer_specs {
    ($($variant:ident($spec:ty) = $tag:literal,)*) => {
        /// One layer, as JSON: `{"type": "conv2d", "out_channels": 16, "kernel_size": 3}`.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum LayerSpec {
            $(#[serde(rename = $tag)] $variant($spec),)*
        }

        impl LayerSpec {
            pub fn about(&self) -> &'static About {
                match self { $(LayerSpec::$variant(_) => &<$spec as LayerConfig>::ABOUT,)* }
            }

            /// See [`LayerConfig::plan`].
            pub fn plan(&self, input: &[usize]) -> Result<Planned> {
                match self { $(LayerSpec::$variant(s) => s.plan(input),)* }
            }

            /// See [`LayerConfig::build`].
            pub fn build(&self, input: &[usize], init: &mut Init) -> Result<Box<dyn Layer>> {
                match self { $(LayerSpec::$variant(s) => s.build(input, init),)* }
            }

            /// See [`LayerConfig::onnx`].
            pub fn onnx(&self, nodes: &mut crate::export::onnx::Nodes) {
                match self { $(LayerSpec::$variant(s) => s.onnx(nodes),)* }
            }

            /// See [`LayerConfig::gpu`].
            #[cfg(feature = "gpu")]
            pub fn gpu(
                &self,
                at: &crate::gpu::layers::Place,
            ) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
                match self { $(LayerSpec::$variant(s) => s.gpu(at),)* }
            }

            /// Every layer type, as the page learns them: `(JSON type, about)`.
            pub fn types() -> Vec<(&'static str, About)> {
                vec![$(($tag, <$spec as LayerConfig>::ABOUT),)*]
            }
        }

        $(impl From<$spec> for LayerSpec {
            fn from(spec: $spec) -> Self {
                LayerSpec::$variant(spec)
            }
        })*
    };
}

layer_specs! {
    Conv2d(Conv2dSpec) = "conv2d",
    Relu(ReluSpec) = "relu",
    MaxPool2d(MaxPool2dSpec) = "max_pool2d",
    Flatten(FlattenSpec) = "flatten",
    Linear(LinearSpec) = "linear",
    Dropout(DropoutSpec) = "dropout",
    BatchNorm2d(BatchNorm2dSpec) = "batch_norm2d",
    LeakyRelu(super::leaky_relu::LeakyReluSpec) = "leaky_relu",
    Gelu(super::gelu::GeluSpec) = "gelu",
    Sigmoid(super::sigmoid::SigmoidSpec) = "sigmoid",
    Tanh(super::tanh::TanhSpec) = "tanh",
    AvgPool2d(super::avg_pool2d::AvgPool2dSpec) = "avg_pool2d",
    AdaptiveAvgPool2d(super::adaptive_avg_pool2d::AdaptiveAvgPool2dSpec) = "adaptive_avg_pool2d",
}

impl LayerSpec {
    /// The word used in layer names and messages: conv, relu, pool, flat, fc, dropout, bn.
    pub fn kind(&self) -> &'static str {
        self.about().kind
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Per-sample input shape (C,H,W): the dataset's images (see [`ModelSpec::for_data`]).
    pub input: [usize; 3],
    pub layers: Vec<LayerSpec>,
}

impl ModelSpec {
    /// The tutorial's network: conv 16 → ReLU → pool → conv 32 → ReLU → pool → flatten →
    /// fc 128 → ReLU → fc 10, on MNIST's images.
    pub fn tutorial() -> Self {
        let conv = |out_channels| {
            Conv2dSpec {
                padding: 1,
                ..Conv2dSpec::new(out_channels, 3)
            }
            .into()
        };
        let pool = || MaxPool2dSpec::new(2).into();
        let relu = || ReluSpec {}.into();
        let fc = |out_features| LinearSpec::new(out_features).into();
        ModelSpec {
            input: MNIST.shape,
            layers: vec![
                conv(16),
                relu(),
                pool(),
                conv(32),
                relu(),
                pool(),
                FlattenSpec {}.into(),
                fc(128),
                relu(),
                fc(10),
            ],
        }
    }

    /// The tutorial's network with batch normalisation after each conv: the "fast" recipe's.
    pub fn tutorial_bn() -> Self {
        let mut spec = Self::tutorial();
        spec.layers.insert(4, BatchNorm2dSpec::default().into());
        spec.layers.insert(1, BatchNorm2dSpec::default().into());
        spec
    }

    /// [`ModelSpec::tutorial_bn`] with dropout before the classifier: the "improved" recipe's.
    pub fn improved() -> Self {
        let mut spec = Self::tutorial_bn();
        let fc2 = spec.layers.len() - 1;
        spec.layers.insert(fc2, DropoutSpec { p: 0.25 }.into());
        spec
    }

    /// This network for a dataset: its input the images' shape and, when it ends in a linear
    /// layer, one output for each class (a recipe's network learns any dataset so). A network
    /// that ends otherwise must already give `classes` outputs; [`crate::nn::Model::new`] then
    /// says whether the rest fits the input.
    pub fn for_data(&self, shape: ImageShape, classes: usize) -> Self {
        let mut spec = self.clone();
        spec.input = shape.dims();
        if let Some(LayerSpec::Linear(last)) = spec.layers.last_mut() {
            last.out_features = classes;
        }
        spec
    }

    /// This network fitted to the data `other` is fitted to: its input, and its last linear
    /// layer's outputs.
    pub fn fitted_like(&self, other: &ModelSpec) -> Self {
        let mut spec = self.clone();
        spec.input = other.input;
        if let (Some(LayerSpec::Linear(mine)), Some(LayerSpec::Linear(theirs))) =
            (spec.layers.last_mut(), other.layers.last())
        {
            mine.out_features = theirs.out_features;
        }
        spec
    }

    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Format(format!("architecture JSON: {e}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a spec always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_form_is_pytorchs_arguments_with_its_defaults() {
        let spec = ModelSpec::from_json(
            r#"{"input":[1,28,28],"layers":[
                {"type":"conv2d","out_channels":4,"kernel_size":3},
                {"type":"relu"},{"type":"max_pool2d"},{"type":"batch_norm2d"},
                {"type":"flatten"},{"type":"dropout","p":0.5},{"type":"linear","out_features":10}]}"#,
        )
        .unwrap();
        assert_eq!(spec.layers[0], Conv2dSpec::new(4, 3).into());
        assert_eq!(spec.layers[2], MaxPool2dSpec::new(2).into());
        assert_eq!(spec.layers[3], BatchNorm2dSpec::default().into());
        assert_eq!(ModelSpec::from_json(&spec.to_json()).unwrap(), spec);
        // A misspelt field is refused, not taken as its default.
        let typo = r#"{"input":[1,28,28],"layers":[{"type":"conv2d","out_channels":4,"kernel_size":3,"padidng":1}]}"#;
        assert!(ModelSpec::from_json(typo).is_err());
    }

    fn json(f: &Field) -> serde_json::Value {
        use crate::field::FieldKind;
        match f.kind {
            FieldKind::Count | FieldKind::Size => serde_json::json!(f.value as u64),
            FieldKind::Number => serde_json::json!(f.value),
            FieldKind::Flag => serde_json::json!(f.value != 0.0),
            FieldKind::Choice => serde_json::json!(f.choices[f.value as usize]),
        }
    }

    #[test]
    fn every_type_describes_its_fields_and_its_defaults_are_the_specs() {
        for (tag, about) in LayerSpec::types() {
            // A layer made of the fields' starting values is a valid spec of that type.
            let mut layer = serde_json::Map::new();
            layer.insert("type".into(), tag.into());
            for f in about.fields {
                layer.insert(f.name.into(), json(f));
            }
            let parsed: LayerSpec =
                serde_json::from_value(layer.into()).unwrap_or_else(|e| panic!("{tag}: {e}"));
            assert_eq!(parsed.about().kind, about.kind);
            // And an optional field left out takes the value the page shows as its default.
            let mut required = serde_json::Map::new();
            required.insert("type".into(), tag.into());
            for f in about.fields.iter().filter(|f| f.required) {
                required.insert(f.name.into(), json(f));
            }
            let defaulted: LayerSpec = serde_json::from_value(required.into()).unwrap();
            for input in [&[4, 8, 8][..], &[32]] {
                assert_eq!(
                    format!("{:?}", defaulted.plan(input)),
                    format!("{:?}", parsed.plan(input)),
                    "{tag}"
                );
            }
        }
    }
}
