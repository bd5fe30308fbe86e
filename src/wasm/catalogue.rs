//! What the page learns from the core instead of writing it again: every layer type with its
//! fields, ranges and defaults, the recipes, the training settings' ranges; and an architecture
//! checked without building a session.

use super::session::fitted_model;
use super::{from_js, from_js_or, to_js};
use crate::data::builtin::{BUILTIN, MNIST};
use crate::data::About;
use crate::nn::{LayerSpec, ModelSpec};
use crate::train::{Recipe, Schedule, TrainConfig};
use serde::Serialize;
use wasm_bindgen::prelude::*;

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

/// What "Teach it" asks of the drawings (`data::drawn`): `{max_classes, min_per_class,
/// max_drawings, shift, name}`, `name` being what the drawn dataset is called.
#[wasm_bindgen]
pub fn teach_limits() -> Result<JsValue, JsValue> {
    use crate::data::drawn;
    #[derive(Serialize)]
    struct Limits {
        max_classes: usize,
        min_per_class: usize,
        max_drawings: usize,
        shift: isize,
        name: &'static str,
    }
    to_js(&Limits {
        max_classes: drawn::MAX_CLASSES,
        min_per_class: drawn::MIN_PER_CLASS,
        max_drawings: drawn::MAX_DRAWINGS,
        shift: drawn::SHIFT,
        name: drawn::NAME,
    })
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

/// The datasets the page ships: `[{key, name, shape, classes, files, note, about}]`, MNIST
/// first; `about` is what a session takes ([`About`]).
#[wasm_bindgen]
pub fn builtin_datasets() -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    struct Shipped {
        #[serde(flatten)]
        builtin: &'static crate::data::Builtin,
        about: About,
    }
    let all: Vec<_> = BUILTIN
        .iter()
        .map(|builtin| Shipped {
            builtin,
            about: builtin.about(),
        })
        .collect();
    to_js(&all)
}

/// An architecture fitted to a dataset (`data`, as [`About`]) as a session fits it
/// ([`ModelSpec::for_data`]): its input the images' shape and, when it ends in a linear layer,
/// an output for each class. The rest of the object is left as the page wrote it (the fields it
/// leaves out stay out, taking PyTorch's defaults).
#[wasm_bindgen]
pub fn fit_spec(spec: JsValue, data: JsValue) -> Result<JsValue, JsValue> {
    let mut json: serde_json::Value = from_js(spec.clone(), "architecture")?;
    let parsed: ModelSpec = from_js(spec, "architecture")?;
    let about: About = from_js(data, "dataset")?;
    let fitted = parsed.for_data(about.shape, about.classes.len());
    json["input"] = fitted
        .input
        .iter()
        .map(|&d| serde_json::Value::from(d))
        .collect();
    let last = json["layers"].as_array_mut().and_then(|l| l.last_mut());
    if let (Some(LayerSpec::Linear(linear)), Some(last)) = (fitted.layers.last(), last) {
        last["out_features"] = linear.out_features.into();
    }
    to_js(&json)
}

/// Checks an architecture for a dataset (`data`, as [`About`]; null: MNIST) without building a
/// session: fitted to it as a session fits it, its layers with output shapes, parameter counts
/// and FLOPs, or an error that says which layer does not fit.
#[wasm_bindgen]
pub fn describe_model(spec: JsValue, data: JsValue) -> Result<JsValue, JsValue> {
    let spec: ModelSpec = from_js(spec, "architecture")?;
    let about: About = from_js_or(data, "dataset", || MNIST.about())?;
    to_js(&fitted_model(&spec, &about, 0)?.layers())
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
