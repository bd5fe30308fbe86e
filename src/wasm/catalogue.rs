//! What the page learns from the core instead of writing it again: every layer type with its
//! fields, ranges and defaults, the recipes, the training settings' ranges; and an architecture
//! checked without building a session.

use super::{from_js, invalid, js_err, to_js, SIDE};
use crate::nn::{LayerSpec, Model, ModelSpec};
use crate::train::{Recipe, Schedule, TrainConfig};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Digits 0–9: the network needs a score for each.
const MNIST_CLASSES: usize = 10;

/// A layer type as the editor and the layers view use it.
#[derive(Serialize)]
struct LayerType {
    #[serde(rename = "type")]
    type_name: &'static str,
    #[serde(flatten)]
    about: crate::nn::spec::About,
}

/// Every layer type: `{type, label, kind, fields: [{name, kind, min, max, value, required,
/// help, …}], signed, kernels, help}`, in the order the editor offers them.
#[wasm_bindgen]
pub fn layer_types() -> Result<JsValue, JsValue> {
    let types: Vec<_> = LayerSpec::types()
        .into_iter()
        .map(|(type_name, about)| LayerType { type_name, about })
        .collect();
    to_js(&types)
}

/// The formats a model downloads in: `[{name, file, label, help}]`, safetensors first.
#[wasm_bindgen]
pub fn export_formats() -> Result<JsValue, JsValue> {
    to_js(&crate::export::FORMATS)
}

/// The recipes: `[{name, label, spec, config}]`, the tutorial's first.
#[wasm_bindgen]
pub fn recipes() -> Result<JsValue, JsValue> {
    to_js(&Recipe::all())
}

/// The learning-rate schedules: `[{name, label}]`, the constant rate first.
#[wasm_bindgen]
pub fn schedules() -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    struct Named {
        name: &'static str,
        label: &'static str,
    }
    let all: Vec<_> = Schedule::ALL
        .iter()
        .map(|s| Named {
            name: s.name(),
            label: s.label(),
        })
        .collect();
    to_js(&all)
}

/// The training settings the page edits, with their ranges and defaults.
#[wasm_bindgen]
pub fn training_fields() -> Result<JsValue, JsValue> {
    to_js(&crate::train::FIELDS)
}

/// Why `value` cannot be the training setting `name` (a field of [`training_fields`]), in the
/// words of a run's own check; None when it can.
#[wasm_bindgen]
pub fn check_setting(name: &str, value: f64) -> Option<String> {
    match crate::train::FIELDS.iter().find(|f| f.name == name) {
        Some(field) => field.check_value(value).err().map(|e| e.reason()),
        None => Some(format!("'{name}' is not a training setting")),
    }
}

/// Why a training config cannot run, or None: the same checks a run makes.
#[wasm_bindgen]
pub fn check_config(config: JsValue) -> Option<String> {
    let config: TrainConfig = match serde_wasm_bindgen::from_value(config) {
        Ok(c) => c,
        Err(e) => return Some(format!("training settings: {e}")),
    };
    config.check().err().map(|e| e.reason())
}

/// Checks an architecture without building a session: its layers with output shapes, parameter
/// counts and FLOPs, or an error that says which layer does not fit.
#[wasm_bindgen]
pub fn describe_model(spec: JsValue) -> Result<JsValue, JsValue> {
    let spec: ModelSpec = from_js(spec, "architecture")?;
    let model = Model::new(&spec, 0).map_err(js_err)?;
    fits_mnist(&model)?;
    to_js(&model.layers())
}

/// Whether two architectures describe the same network (defaults filled in, fields in any
/// order); false when either cannot be read.
#[wasm_bindgen]
pub fn same_architecture(a: JsValue, b: JsValue) -> bool {
    match (
        from_js::<ModelSpec>(a, "architecture"),
        from_js::<ModelSpec>(b, "architecture"),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Whether a network can learn MNIST here: 1×28×28 images in, a score for each of the 10 digits
/// out (more scores are allowed; the extra classes are never the answer).
pub(crate) fn fits_mnist(model: &Model) -> Result<(), JsValue> {
    mnist_misfit(model).map_or(Ok(()), |why| Err(invalid(why)))
}

/// Why a network cannot learn MNIST here, in a sentence; None when it can.
pub(crate) fn mnist_misfit(model: &Model) -> Option<String> {
    let [c, h, w] = model.spec().input;
    if [c, h, w] != [1, SIDE, SIDE] {
        return Some(format!(
            "The network takes {c}×{h}×{w} inputs, but the playground's digits are 1×28×28: its input must be [1, 28, 28]."
        ));
    }
    let classes = model.classes();
    (classes < MNIST_CLASSES).then(|| {
        format!(
            "The last layer gives {classes} scores, but MNIST has {MNIST_CLASSES} digits: it needs at least {MNIST_CLASSES} outputs."
        )
    })
}
