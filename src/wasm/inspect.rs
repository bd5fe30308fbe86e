//! Looking at the model: class probabilities, every layer's output and the saliency of one
//! image, and any parameter.

use super::session::Session;
use super::{invalid, js_err, SIDE};
use crate::nn::loss::softmax;
use crate::nn::Mode;
use crate::train::argmax;
use js_sys::{Array, Float32Array, Object, Reflect};
use ndarray::ArrayD;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl Session {
    /// `pixels`, once checked to be one 28×28 image of finite values.
    fn image(pixels: &[f32]) -> Result<&[f32], JsValue> {
        if pixels.len() != SIDE * SIDE {
            return Err(invalid(format!(
                "an image is {} values (28×28), got {}",
                SIDE * SIDE,
                pixels.len()
            )));
        }
        if pixels.iter().any(|v| !v.is_finite()) {
            return Err(invalid("the image contains NaN or infinite values"));
        }
        Ok(pixels)
    }

    /// Class probabilities for one 28×28 image with values in [0, 1].
    pub fn predict(&mut self, pixels: &[f32]) -> Result<Vec<f32>, JsValue> {
        let logits = self
            .trainer
            .model
            .forward_batch(Self::image(pixels)?, 1, Mode::Eval)
            .map_err(js_err)?;
        Ok(softmax(logits, logits.len()))
    }

    /// Every layer's output for one image: `[{name, kind, shape, data: Float32Array}]`, shapes
    /// without the batch dimension.
    pub fn activations(&mut self, pixels: &[f32]) -> Result<Array, JsValue> {
        let acts = self
            .trainer
            .model
            .activations(
                &ArrayD::from_shape_vec(vec![1, 1, SIDE, SIDE], Self::image(pixels)?.to_vec())
                    .expect("length checked"),
            )
            .map_err(js_err)?;
        let infos = self.trainer.model.layers();
        let out = Array::new();
        for ((name, a), info) in acts.into_iter().zip(infos) {
            let o = Object::new();
            let shape: Array = a.shape()[1..]
                .iter()
                .map(|&d| JsValue::from(d as u32))
                .collect();
            let set = |k: &str, v: &JsValue| Reflect::set(&o, &k.into(), v).map(|_| ());
            set("name", &name.into())
                .and(set("kind", &info.kind.into()))
                .and(set("signed", &info.signed.into()))
                .and(set("kernels", &info.kernels.into()))
                .and(set("shape", &shape))
                .and(set(
                    "data",
                    &Float32Array::from(a.as_slice().expect("standard layout")).into(),
                ))
                .map_err(|_| invalid("could not build the activations object"))?;
            out.push(&o);
        }
        Ok(out)
    }

    /// The saliency map of one image: |∂ logit of the predicted class / ∂ pixel|, 28×28.
    pub fn saliency(&mut self, pixels: &[f32]) -> Result<Vec<f32>, JsValue> {
        let model = &mut self.trainer.model;
        let logits = model
            .forward_batch(Self::image(pixels)?, 1, Mode::Explain)
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
}
