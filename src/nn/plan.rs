//! A network's sizes, inferred from its spec and checked before anything is allocated: every
//! layer's output shape, parameter count, FLOPs and memory, in overflow-checked arithmetic and
//! within the limits below. No spec — from a checkpoint's metadata, a link, the editor or
//! `--arch` — can make the core ask for more memory than the page's wasm can have, or wrap a
//! size around; a refusal names the layer and the number. Debug and release builds agree.

use super::spec::{About, LayerSpec, ModelSpec, Planned};
use crate::error::{Error, Result};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Layers in a network.
pub const MAX_LAYERS: usize = 100;
/// Learnable parameters. With their gradients and Adam's two moments each takes 16 bytes: 256 MiB.
pub const MAX_PARAMS: usize = 1 << 24;
/// Scores the last layer may give: the confusion matrix keeps classes² counts.
pub const MAX_CLASSES: usize = 1000;
/// What a training step may need in all: the weights with their gradients and Adam's state, a
/// batch's activations, gradients and caches, and scratch. Half of what wasm32 can address, so
/// the data and the page's own memory fit beside it; it also keeps every index into a batch's
/// activations below 2^32 (MaxPool2d records its maxima as u32).
pub const MAX_TRAINING_BYTES: u64 = 2 << 30;

/// One layer of a plan: its name, its type and its sizes. The model's layers as every part of
/// the core and the page sees them.
#[derive(Clone, Debug)]
pub struct LayerPlan {
    /// PyTorch's name: conv1, relu1, pool1, …, flat, fc1.
    pub name: String,
    pub about: &'static About,
    pub sizes: Planned,
    /// Values in the per-sample output.
    pub output_len: usize,
}

/// What the page learns of a layer: `{name, kind, output_shape, params, flops, signed,
/// kernels}`.
impl Serialize for LayerPlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("LayerPlan", 7)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("kind", self.about.kind)?;
        s.serialize_field("output_shape", &self.sizes.output_shape)?;
        s.serialize_field("params", &self.sizes.params)?;
        s.serialize_field("flops", &self.sizes.flops)?;
        s.serialize_field("signed", &self.about.signed)?;
        s.serialize_field("kernels", &self.about.kernels)?;
        s.end()
    }
}

/// A network's checked sizes.
#[derive(Clone, Debug)]
pub struct Plan {
    pub layers: Vec<LayerPlan>,
    pub input_len: usize,
    pub params: usize,
    /// Values a training step keeps per sample: the input, every output, the layers' caches
    /// (pooling's maxima, dropout's mask, batch norm's x̂) and the two gradient buffers that
    /// backward passes down.
    sample_values: u64,
    /// Values used once whatever the batch: the im2col bands of the largest convolution.
    scratch_values: u64,
}

/// `a · b · …` or an error naming `what` when it passes `u64` (it never does within the limits;
/// this is for specs made to overflow).
pub(crate) fn product(what: &str, dims: &[usize]) -> Result<u64> {
    dims.iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
        .ok_or_else(|| Error::Invalid(format!("{what} {dims:?} is too large")))
}

impl Plan {
    /// Infers and checks every size of `spec`'s network.
    pub fn new(spec: &ModelSpec) -> Result<Plan> {
        if spec.layers.len() > MAX_LAYERS {
            return Err(Error::Invalid(format!(
                "the network has {} layers; at most {MAX_LAYERS} are allowed",
                spec.layers.len()
            )));
        }
        let mut shape = spec.input.to_vec();
        if shape.contains(&0) {
            return Err(Error::Invalid(format!(
                "input shape {shape:?} has an empty dimension"
            )));
        }
        let input_len = product("the input shape", &shape)?;
        let mut counts = std::collections::HashMap::new();
        let mut layers: Vec<LayerPlan> = Vec::with_capacity(spec.layers.len());
        let (mut params, mut acts, mut caches, mut widest) = (0usize, input_len, 0u64, input_len);
        let mut scratch = 0u64;
        for (i, ls) in spec.layers.iter().enumerate() {
            let count = counts.entry(ls.kind()).or_insert(0);
            *count += 1;
            let name = match ls {
                LayerSpec::Flatten(_) => "flat".to_string(),
                _ => format!("{}{}", ls.kind(), count),
            };
            let at = format!("layer {} ({name})", i + 1);
            let fail = |why: String| Error::Invalid(format!("{at}: {why}"));
            let planned = ls.plan(&shape).map_err(|e| fail(e.reason()))?;
            let layer_params = planned.params;
            let output_len =
                product("the output shape", &planned.output_shape).map_err(|e| fail(e.reason()))?;
            params = params
                .checked_add(layer_params)
                .filter(|&p| p <= MAX_PARAMS)
                .ok_or_else(|| {
                    fail(format!(
                        "the network passes {MAX_PARAMS} parameters (this layer has {layer_params})"
                    ))
                })?;
            // Checked sums, though the memory test below refuses long before they could wrap.
            let sum = |total: u64, v: u64| {
                total
                    .checked_add(v)
                    .ok_or_else(|| fail("its sizes are too large".into()))
            };
            acts = sum(acts, output_len)?;
            caches = sum(caches, planned.cache)?;
            widest = widest.max(output_len);
            scratch = scratch.max(planned.scratch);
            // A single sample must fit, checked before the next layer adds to the sums.
            let sample = acts
                .saturating_add(caches)
                .saturating_add(widest.saturating_mul(2));
            let one = training_bytes(1, sample, scratch, params);
            if one > MAX_TRAINING_BYTES {
                return Err(fail(format!(
                    "one sample would need {} of memory to train, more than the {} allowed",
                    gib(one),
                    gib(MAX_TRAINING_BYTES)
                )));
            }
            shape = planned.output_shape.clone();
            layers.push(LayerPlan {
                name,
                about: ls.about(),
                sizes: planned,
                output_len: output_len as usize,
            });
        }
        let classes = match shape[..] {
            [classes] => classes,
            _ => {
                return Err(Error::Invalid(format!(
                    "the last layer must give one score per class, got shape {shape:?}: end with flatten and linear"
                )))
            }
        };
        if classes > MAX_CLASSES {
            return Err(Error::Invalid(format!(
                "the last layer gives {classes} scores; at most {MAX_CLASSES} classes are allowed"
            )));
        }
        Ok(Plan {
            layers,
            input_len: input_len as usize,
            params,
            // Within MAX_TRAINING_BYTES: the last layer's test passed.
            sample_values: acts + caches + 2 * widest,
            scratch_values: scratch,
        })
    }

    /// Bytes a training step on `batch` samples needs (saturating: huge means too much).
    pub fn bytes_for_batch(&self, batch: usize) -> u64 {
        training_bytes(batch, self.sample_values, self.scratch_values, self.params)
    }

    /// Refuses a batch whose training step would need more than [`MAX_TRAINING_BYTES`], saying
    /// the largest that fits.
    pub fn check_batch(&self, batch: usize) -> Result<()> {
        let bytes = self.bytes_for_batch(batch);
        if bytes <= MAX_TRAINING_BYTES {
            return Ok(());
        }
        let fixed = self.bytes_for_batch(0);
        let largest =
            (MAX_TRAINING_BYTES - fixed.min(MAX_TRAINING_BYTES)) / (4 * self.sample_values.max(1));
        Err(Error::Invalid(format!(
            "a batch of {batch} would need {} of memory, more than the {} allowed: the largest batch for this network is {largest}",
            gib(bytes),
            gib(MAX_TRAINING_BYTES)
        )))
    }

    /// The number of classes: the size of the last layer's output.
    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |l| l.output_len)
    }
}

/// Bytes of a training step: `batch` samples of `sample_values`, the scratch, and each parameter
/// four times (value, gradient, Adam's two moments); saturating, so huge means too much.
fn training_bytes(batch: usize, sample_values: u64, scratch_values: u64, params: usize) -> u64 {
    (batch as u64)
        .saturating_mul(sample_values)
        .saturating_add(scratch_values)
        .saturating_add((params as u64).saturating_mul(4))
        .saturating_mul(4)
}

/// "1.5 GiB", "320 MiB".
fn gib(bytes: u64) -> String {
    let mib = bytes as f64 / (1u64 << 20) as f64;
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}

/// A C×H×W input, or why not.
pub(crate) fn image(shape: &[usize]) -> Result<(usize, usize, usize)> {
    match *shape {
        [c, h, w] => Ok((c, h, w)),
        _ => Err(Error::Invalid(format!(
            "needs a C×H×W input, got {shape:?} (is it after the flatten?)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::conv2d::Conv2dSpec;
    use crate::nn::flatten::FlattenSpec;
    use crate::nn::linear::LinearSpec;
    use crate::nn::max_pool2d::MaxPool2dSpec;
    use crate::nn::relu::ReluSpec;

    fn spec(input: [usize; 3], layers: Vec<LayerSpec>) -> ModelSpec {
        ModelSpec { input, layers }
    }

    fn refusal(s: &ModelSpec) -> String {
        Plan::new(s).unwrap_err().to_string()
    }

    #[test]
    fn the_tutorials_network_fits_with_room_for_large_batches() {
        let plan = Plan::new(&ModelSpec::tutorial()).unwrap();
        assert_eq!(plan.params, 206_922);
        assert_eq!(plan.classes(), 10);
        plan.check_batch(4096).unwrap();
        let bn = Plan::new(&ModelSpec::improved()).unwrap();
        bn.check_batch(4096).unwrap();
    }

    fn flatten() -> LayerSpec {
        FlattenSpec {}.into()
    }

    fn fc(out_features: usize) -> LayerSpec {
        LinearSpec::new(out_features).into()
    }

    #[test]
    fn sizes_made_to_overflow_are_refused_naming_the_layer() {
        let conv = |out_channels, kernel_size, padding| {
            LayerSpec::from(Conv2dSpec {
                padding,
                ..Conv2dSpec::new(out_channels, kernel_size)
            })
        };
        let cases = [
            // A huge input before a flatten: 2^40 values per sample.
            (
                spec([1, 1 << 20, 1 << 20], vec![flatten(), fc(10)]),
                "layer 1 (flat)",
            ),
            // Padding of 2^63 (2^31 on wasm32) and of 2^32 − 1.
            (
                spec(
                    [1, 28, 28],
                    vec![conv(4, 3, usize::MAX / 2 + 1), flatten(), fc(10)],
                ),
                "layer 1 (conv1)",
            ),
            (
                spec(
                    [1, 28, 28],
                    vec![conv(4, 3, u32::MAX as usize), flatten(), fc(10)],
                ),
                "layer 1 (conv1)",
            ),
            // 65,536 classes.
            (spec([1, 2, 2], vec![flatten(), fc(65536)]), "65536 scores"),
            // A linear layer of 2^16 × 2^20 weights.
            (
                spec([1, 1024, 1024], vec![flatten(), fc(65536)]),
                "layer 2 (fc1)",
            ),
            // 300,000 layers.
            (
                spec([1, 28, 28], vec![ReluSpec {}.into(); 300_000]),
                "300000 layers",
            ),
        ];
        for (s, words) in cases {
            let why = refusal(&s);
            assert!(why.contains(words), "{words}: {why}");
        }
    }

    #[test]
    fn a_batch_too_large_for_memory_says_the_largest_that_fits() {
        // 1×512×512 inputs through 64 channels: 16M values of conv output per sample.
        let s = spec(
            [1, 512, 512],
            vec![
                Conv2dSpec {
                    padding: 1,
                    ..Conv2dSpec::new(64, 3)
                }
                .into(),
                ReluSpec {}.into(),
                MaxPool2dSpec::new(16).into(),
                flatten(),
                fc(10),
            ],
        );
        let plan = Plan::new(&s).unwrap();
        let why = plan.check_batch(64).unwrap_err().to_string();
        assert!(why.contains("a batch of 64 would need"), "{why}");
        let largest: usize = why.rsplit(' ').next().unwrap().parse().unwrap();
        plan.check_batch(largest).unwrap();
        assert!(plan.check_batch(largest + 1).is_err());
    }
}
