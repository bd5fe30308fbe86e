//! Convolution for the filter lab and the explainer.

use super::{invalid, js_err, Tensor};
use crate::image::{filters::Filter, Image};
use crate::ops::conv;
use ndarray::{ArrayView1, ArrayView4};
use wasm_bindgen::prelude::*;

fn shape4(shape: &[u32], what: &str) -> Result<(usize, usize, usize, usize), JsValue> {
    match *shape {
        [a, b, c, d] => Ok((a as usize, b as usize, c as usize, d as usize)),
        _ => Err(invalid(format!(
            "{what} shape must have 4 dimensions (N,C,H,W), got {shape:?}"
        ))),
    }
}

/// `F.conv2d(input, weight, bias, stride, padding)`: input (N,C,H,W), weight (OC,C,KH,KW).
#[wasm_bindgen]
pub fn conv2d(
    input: &[f32],
    input_shape: &[u32],
    weight: &[f32],
    weight_shape: &[u32],
    bias: Option<Vec<f32>>,
    stride: u32,
    padding: u32,
) -> Result<Tensor, JsValue> {
    let view = |data, shape, what| {
        ArrayView4::from_shape(shape4(shape, what)?, data).map_err(|_| {
            invalid(format!(
                "{what} has {} values, which does not fit shape {shape:?}",
                data.len()
            ))
        })
    };
    let x = view(input, input_shape, "input")?;
    let w = view(weight, weight_shape, "weight")?;
    let y = conv::conv2d(
        x,
        w,
        bias.as_deref().map(ArrayView1::from),
        stride as usize,
        padding as usize,
    )
    .map_err(js_err)?;
    Ok(Tensor::from_array(y.into_dyn()))
}

/// The names of the built-in filters.
#[wasm_bindgen]
pub fn filter_names() -> Vec<String> {
    crate::image::filters::NAMES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// A photo in the filter lab, kept in wasm memory with its filtered copy: filtering it again
/// (another filter, a kernel edited by hand) copies nothing across the boundary — the page
/// views the result where it lies ([`Photo::filtered_ptr`]).
#[wasm_bindgen]
pub struct Photo {
    image: Image,
    filtered: Vec<u8>,
}

#[wasm_bindgen]
impl Photo {
    /// An RGBA image (a canvas's `ImageData`), copied in once.
    #[wasm_bindgen(constructor)]
    pub fn new(rgba: Vec<u8>, width: u32, height: u32) -> Result<Photo, JsValue> {
        let image = Image::new(width as usize, height as usize, 4, rgba).map_err(js_err)?;
        let filtered = image.pixels.clone();
        Ok(Photo { image, filtered })
    }

    /// Filters the photo: `filter` is a name from [`filter_names`] or an object
    /// `{kernel: number[][], divisor?, offset?}`. The result is the RGBA pixels at
    /// [`Photo::filtered_ptr`].
    pub fn filter(&mut self, filter: JsValue) -> Result<(), JsValue> {
        let filter = match filter.as_string() {
            Some(name) => Filter::named(&name).map_err(js_err)?,
            None => serde_wasm_bindgen::from_value(filter)
                .map_err(|e| invalid(format!("custom filter: {e}")))?,
        };
        filter
            .apply_into(&self.image, &mut self.filtered)
            .map_err(js_err)
    }

    /// Where the last filtered pixels lie in wasm memory (width × height × 4 bytes): to be
    /// viewed at once, before the core is called again (its memory may grow and move).
    pub fn filtered_ptr(&self) -> *const u8 {
        self.filtered.as_ptr()
    }
}

/// An image (`pixels`: `width×height` of `channels` interleaved bytes, as a canvas gives RGBA)
/// as a dataset's input of `shape` ({channels, height, width}): centre-cropped and resized by
/// area averaging as a folder's images are ([`crate::image::resize::fit`]), alpha dropped,
/// gray taken from the red channel for a 1-channel dataset; C×H×W values in [0, 1].
#[wasm_bindgen]
pub fn fit_input(
    pixels: Vec<u8>,
    width: u32,
    height: u32,
    channels: u32,
    shape: JsValue,
) -> Result<Vec<f32>, JsValue> {
    let shape: crate::data::ImageShape = super::from_js(shape, "image shape")?;
    let shape = crate::data::ImageShape::from_dims(shape.dims()).map_err(js_err)?;
    let image =
        Image::new(width as usize, height as usize, channels as usize, pixels).map_err(js_err)?;
    let fitted = crate::image::resize::fit(&image, shape.width, shape.height);
    let (plane, c) = (shape.width * shape.height, fitted.channels);
    Ok((0..shape.channels)
        .flat_map(|k| (0..plane).map(move |i| (i, k.min(c - 1))))
        .map(|(i, k)| fitted.pixels[i * c + k] as f32 / 255.0)
        .collect())
}
