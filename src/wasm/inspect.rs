//! Looking at the model on the CPU: class probabilities, every layer's output and the saliency
//! of one image, and any parameter. [`Session::inspect`] (in `device.rs`) answers what the layers
//! panel draws from the device that holds the model: from here on the CPU, from the GPU there.

use super::session::Session;
use super::{invalid, js_err};
use crate::nn::loss::softmax;
use crate::nn::{LayerPlan, Mode};
use crate::train::argmax;
use js_sys::{Array, Float32Array, Object, Reflect};
use ndarray::ArrayD;
use wasm_bindgen::prelude::*;

/// A plain object from `(key, value)` pairs.
fn object(entries: &[(&str, JsValue)]) -> Result<Object, JsValue> {
    let o = Object::new();
    for (k, v) in entries {
        Reflect::set(&o, &(*k).into(), v).map_err(|_| invalid("could not build an object"))?;
    }
    Ok(o)
}

fn shape_array(shape: &[usize]) -> Array {
    shape.iter().map(|&d| JsValue::from(d as u32)).collect()
}

/// One layer's output as the page draws it: `{name, kind, signed, kernels, shape, data}`,
/// its shape without the batch dimension.
pub(super) fn layer_object(
    info: &LayerPlan,
    shape: &[usize],
    data: &[f32],
) -> Result<Object, JsValue> {
    object(&[
        ("name", info.name.as_str().into()),
        ("kind", info.about.kind.into()),
        ("signed", info.about.signed.into()),
        ("kernels", info.about.kernels.into()),
        ("shape", shape_array(shape).into()),
        ("data", Float32Array::from(data).into()),
    ])
}

/// What the layers panel draws of one image: `{layers, kernels, saliency, probabilities}`,
/// each kernel `{name, shape, data}` named by its layer.
pub(super) fn inspection(
    layers: Array,
    kernels: impl IntoIterator<Item = (String, Vec<usize>, Vec<f32>)>,
    saliency: &[f32],
    probabilities: &[f32],
) -> Result<JsValue, JsValue> {
    let kernels = kernels
        .into_iter()
        .map(|(name, shape, data)| {
            object(&[
                ("name", name.into()),
                ("shape", shape_array(&shape).into()),
                ("data", Float32Array::from(&data[..]).into()),
            ])
        })
        .collect::<Result<Array, _>>()?;
    Ok(object(&[
        ("layers", layers.into()),
        ("kernels", kernels.into()),
        ("saliency", Float32Array::from(saliency).into()),
        ("probabilities", Float32Array::from(probabilities).into()),
    ])?
    .into())
}

#[wasm_bindgen]
impl Session {
    /// `pixels`, once checked to be one image of the dataset's shape, of finite values.
    pub(super) fn image<'a>(&self, pixels: &'a [f32]) -> Result<&'a [f32], JsValue> {
        let shape = self.about.shape;
        if pixels.len() != shape.len() {
            return Err(invalid(format!(
                "an image is {} values ({}), got {}",
                shape.len(),
                shape.text(),
                pixels.len()
            )));
        }
        if pixels.iter().any(|v| !v.is_finite()) {
            return Err(invalid("the image contains NaN or infinite values"));
        }
        Ok(pixels)
    }

    /// The layers whose kernels the page draws: each one's name, its weight's name and shape.
    pub(super) fn drawn_kernels(&self) -> Vec<(String, String, Vec<usize>)> {
        let model = &self.trainer.model;
        let params = model.named_params();
        model
            .layers()
            .iter()
            .filter(|info| info.about.kernels)
            .filter_map(|info| {
                let weight = format!("{}.weight", info.name);
                let (_, p) = params.iter().find(|(n, _)| *n == weight)?;
                Some((info.name.clone(), weight, p.value.shape().to_vec()))
            })
            .collect()
    }

    /// Class probabilities for one image (C×H×W, values in [0, 1]), on the CPU
    /// ([`Session::predict`] asks the device that holds the model).
    pub(super) fn predict_here(&mut self, pixels: &[f32]) -> Result<Vec<f32>, JsValue> {
        let image = self.image(pixels)?;
        let logits = self
            .trainer
            .model
            .forward_batch(image, 1, Mode::Eval)
            .map_err(js_err)?;
        Ok(softmax(logits, logits.len()))
    }

    /// Every layer's output for one image: `[{name, kind, shape, data: Float32Array}]`, shapes
    /// without the batch dimension.
    pub(super) fn activations(&mut self, pixels: &[f32]) -> Result<Array, JsValue> {
        let [c, h, w] = self.about.shape.dims();
        let image = ArrayD::from_shape_vec(vec![1, c, h, w], self.image(pixels)?.to_vec())
            .expect("length checked");
        let acts = self.trainer.model.activations(&image).map_err(js_err)?;
        let infos = self.trainer.model.layers();
        acts.iter()
            .zip(infos)
            .map(|((_, a), info)| {
                layer_object(
                    info,
                    &a.shape()[1..],
                    a.as_slice().expect("standard layout"),
                )
            })
            .collect()
    }

    /// The saliency map of one image: |∂ logit of the predicted class / ∂ input|, C×H×W.
    pub(super) fn saliency(&mut self, pixels: &[f32]) -> Result<Vec<f32>, JsValue> {
        let image = self.image(pixels)?;
        let model = &mut self.trainer.model;
        let logits = model
            .forward_batch(image, 1, Mode::Explain)
            .map_err(js_err)?;
        let mut seed = vec![0.0; logits.len()];
        seed[argmax(logits)] = 1.0;
        let saliency = model
            .backward(&seed, true)
            .expect("input gradient asked for")
            .iter()
            .map(|g| g.abs())
            .collect();
        // Explaining leaves gradients in the parameters: clear them so training is unaffected.
        model.zero_grad();
        Ok(saliency)
    }

    /// Everything the layers panel draws of one image, on the CPU ([`Session::inspect`] asks the
    /// device that holds the model): `{layers, kernels, saliency, probabilities}`.
    pub(super) fn inspect_here(&mut self, pixels: &[f32]) -> Result<JsValue, JsValue> {
        let layers = self.activations(pixels)?;
        let kernels = self
            .drawn_kernels()
            .into_iter()
            .map(|(layer, weight, shape)| {
                let data = self.param(&weight).map(|t| t.data)?;
                Ok((layer, shape, data))
            })
            .collect::<Result<Vec<_>, JsValue>>()?;
        let saliency = self.saliency(pixels)?;
        let probabilities = self.predict_here(pixels)?;
        inspection(layers, kernels, &saliency, &probabilities)
    }
}
