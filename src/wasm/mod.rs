//! The face the page sees: plain numbers and typed arrays in, small results out, every failure a
//! `JsError` with a message the page can show. No panic crosses this boundary on bad input.
//!
//! - [`catalogue`]: what the page learns of layers, recipes and settings, and architectures checked;
//! - [`filters`]: `conv2d` and `filter_image` for the filter lab and the convolution explainer;
//! - [`session`]: a model with its trainer and data, owned by the page's worker;
//! - [`replica`]: a second worker that computes half of each batch, when threads are allowed.

pub mod catalogue;
pub mod filters;
pub mod replica;
pub mod session;

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The side of the playground's images (MNIST's): the session and its replica train on these.
pub(crate) const SIDE: usize = 28;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Whether this build runs wasm SIMD instructions: the page's two builds differ only in this.
#[wasm_bindgen]
pub fn built_with_simd() -> bool {
    cfg!(target_feature = "simd128")
}

/// The error as the page shows it: its reason without the kind's prefix ("invalid: "…), which
/// says nothing to a user; a diverged run keeps its words, the worker recognises them.
pub(crate) fn js_err(e: crate::Error) -> JsError {
    match e {
        crate::Error::Diverged(_) => JsError::new(&e.to_string()),
        other => JsError::new(&other.reason()),
    }
}

/// An `Error` with the error's technical detail, when it has one, as its `detail` property: the
/// page shows the message and keeps the detail for those who want it.
pub(crate) fn error_value(e: crate::Error) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    if let Some(detail) = e.detail() {
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&error, &"detail".into(), &detail.into());
    }
    error.into()
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
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// A JavaScript value read as a `T`; the error names `what` was being read.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

/// `value` read as a `T`, or `default()` when it is null or undefined.
pub(crate) fn from_js_or<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
    default: impl FnOnce() -> T,
) -> Result<T, JsError> {
    if value.is_null() || value.is_undefined() {
        Ok(default())
    } else {
        from_js(value, what)
    }
}
