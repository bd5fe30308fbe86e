//! The face the page sees: plain numbers and typed arrays in, small results out, every failure a
//! JavaScript `Error` with a message the page can show and a kind it can switch on (`js_err`). No panic crosses this boundary on bad input.
//!
//! - [`catalogue`]: what the page learns of layers, recipes and settings, and architectures checked;
//! - [`filters`]: `conv2d` and `Photo` for the filter lab and the convolution explainer;
//! - [`session`]: a model with its trainer and data, owned by the page's worker: loaded,
//!   saved, reset; [`run`] trains it and reports what happened as events, [`evaluation`]
//!   measures it on the test set, [`inspect`] looks inside it;
//! - [`inflate`]: `Gunzip`, the built-in datasets' gzip files inflated as they stream in;
//! - [`replica`]: a second worker that computes half of each batch, when threads are allowed;
//! - [`device`]: where a session trains, the browser's GPU (feature `gpu`, WebGPU) or the CPU,
//!   behind the same calls.

pub mod catalogue;
pub mod dataset;
pub mod device;
pub mod evaluation;
pub mod filters;
pub mod inflate;
pub mod inspect;
pub mod replica;
pub mod run;
pub mod session;
pub mod teach;

use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The wasm SIMD this build runs, the one thing the page's builds differ in: "relaxed" (with
/// fused multiply-add), "simd128", or "none" (the portable build).
#[wasm_bindgen]
pub fn wasm_simd() -> String {
    if cfg!(target_feature = "relaxed-simd") {
        "relaxed"
    } else if cfg!(target_feature = "simd128") {
        "simd128"
    } else {
        "none"
    }
    .into()
}

/// A failure as the page receives it: a JavaScript `Error` whose message is the reason (without
/// the kind's prefix, which says nothing to a user), with its `kind` ("invalid", "format",
/// "shape", "file", "diverged", "peer", "io") for the page to tell failures apart by, and the
/// technical `detail` where there is one; both on one line, whatever a file put in them.
pub(crate) fn js_err(e: crate::Error) -> JsValue {
    use crate::error::printable;
    let error = js_sys::Error::new(&printable(&e.reason()));
    // Setting properties on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"kind".into(), &e.kind().into());
    if let Some(detail) = e.detail() {
        let _ = js_sys::Reflect::set(&error, &"detail".into(), &printable(detail).into());
    }
    error.into()
}

/// A refusal of a value the page passed: [`js_err`] of an [`crate::Error::Invalid`].
pub(crate) fn invalid(message: impl Into<String>) -> JsValue {
    js_err(crate::Error::Invalid(message.into()))
}

/// A tensor handed to JavaScript: its shape and its values, row-major.
#[wasm_bindgen]
pub struct Tensor {
    pub(crate) shape: Vec<u32>,
    pub(crate) data: Vec<f32>,
}

#[wasm_bindgen]
impl Tensor {
    #[wasm_bindgen(getter)]
    pub fn shape(&self) -> Vec<u32> {
        self.shape.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn data(&self) -> Vec<f32> {
        self.data.clone()
    }
}

impl Tensor {
    pub(crate) fn from_array(a: ndarray::ArrayD<f32>) -> Self {
        Tensor {
            shape: a.shape().iter().map(|&d| d as u32).collect(),
            data: a.into_raw_vec_and_offset().0,
        }
    }
}

/// A Rust value as a plain JavaScript object (JSON's types: maps become objects).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| invalid(e.to_string()))
}

/// A JavaScript value read as a `T`; the error names `what` was being read.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| js_err(crate::Error::Format(format!("{what}: {e}"))))
}

/// `value` read as a `T`, or `default()` when it is null or undefined.
pub(crate) fn from_js_or<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
    default: impl FnOnce() -> T,
) -> Result<T, JsValue> {
    if value.is_null() || value.is_undefined() {
        Ok(default())
    } else {
        from_js(value, what)
    }
}
