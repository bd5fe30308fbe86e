//! Training on the browser's GPU (WebGPU), in the build with the `gpu` feature: the worker asks
//! for a [`GpuDevice`], gives it to its session, and then trains in three calls per chunk of
//! steps — [`Session::train_gpu`] submits them, [`Session::gpu_losses`] waits for the GPU and
//! reads their losses back (a promise: the session is not held across the wait), and
//! [`Session::gpu_report`] records them and answers with the same events as
//! [`Session::train`]. The GPU then holds the model: predictions and what the layers panel
//! draws come from it ([`Session::gpu_predict`], [`Session::gpu_inspect`]). The CPU model is the
//! copy the page evaluates and saves: [`Session::gpu_weights`] and [`Session::set_gpu_weights`]
//! bring it up to date.

use super::inspect::{inspection, layer_object};
use super::run::{now_seconds, Taken};
use super::session::Session;
use super::{invalid, js_err, to_js};
use crate::gpu::{Gpu, GpuTrainer};
use crate::nn::loss::softmax;
use crate::train::Trainer;
use js_sys::{Array, Float32Array, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// The browser's WebGPU adapter and a device on it.
#[wasm_bindgen]
pub struct GpuDevice(Rc<Gpu>);

#[wasm_bindgen]
impl GpuDevice {
    /// Asks the browser for its adapter and a device; rejects with the reason when there is
    /// none (no WebGPU, no adapter, a device refused).
    pub async fn request() -> Result<GpuDevice, JsValue> {
        Gpu::new()
            .await
            .map(|g| GpuDevice(Rc::new(g)))
            .map_err(js_err)
    }

    /// `{name, backend, software}`: a software adapter (SwiftShader) computes the right
    /// answers far more slowly than the CPU path.
    pub fn info(&self) -> Result<JsValue, JsValue> {
        to_js(self.0.info())
    }
}

/// The GPU side of a session: the device, and the trainer on it for the current run (made when
/// the next steps need it, from the CPU model as it is then).
pub(super) struct OnGpu {
    gpu: Rc<Gpu>,
    trainer: Option<GpuTrainer>,
    /// The steps submitted and not yet reported: their batch sizes, when they began, and
    /// whether they stopped for want of data.
    pending: Vec<usize>,
    started: f64,
    waiting: bool,
}

impl OnGpu {
    /// The run changed (new weights, new settings): its trainer is made again at the next step.
    pub(super) fn invalidate(&mut self) {
        self.trainer = None;
        self.pending.clear();
    }

    /// The trainer on the GPU, made from `trainer` (the CPU model as it is now) when there is
    /// none: from then on the GPU holds the model.
    fn trainer(&mut self, trainer: &Trainer) -> Result<&mut GpuTrainer, JsValue> {
        if self.trainer.is_none() {
            self.trainer = Some(GpuTrainer::new(self.gpu.clone(), trainer).map_err(js_err)?);
        }
        Ok(self.trainer.as_mut().expect("made above"))
    }
}

#[wasm_bindgen]
impl Session {
    /// Trains on `device` from the next step on; the CPU model's weights go to the GPU then.
    pub fn use_gpu(&mut self, device: &GpuDevice) {
        self.detach_replica();
        self.gpu = Some(OnGpu {
            gpu: device.0.clone(),
            trainer: None,
            pending: Vec::new(),
            started: 0.0,
            waiting: false,
        });
    }

    /// Trains on the CPU again; call [`Session::set_gpu_weights`] first to keep the GPU's
    /// progress.
    pub fn use_cpu(&mut self) {
        self.gpu = None;
    }

    /// Submits up to `max_steps` steps to the GPU, stopping where [`Session::train`] would;
    /// returns how many. Their results come with [`Session::gpu_losses`] and
    /// [`Session::gpu_report`].
    pub fn train_gpu(&mut self, max_steps: u32) -> Result<u32, JsValue> {
        let Some(mut on_gpu) = self.gpu.take() else {
            return Err(invalid("the session is not on the GPU"));
        };
        let result = self.submit(&mut on_gpu, max_steps);
        self.gpu = Some(on_gpu);
        result
    }

    fn submit(&mut self, on_gpu: &mut OnGpu, max_steps: u32) -> Result<u32, JsValue> {
        if !on_gpu.pending.is_empty() {
            return Err(invalid("the last GPU steps have not been reported yet"));
        }
        on_gpu.trainer(&self.trainer)?;
        let trainer = on_gpu.trainer.as_mut().expect("made above");
        let max_steps = max_steps.min(crate::gpu::train::LOG_STEPS as u32);
        on_gpu.started = now_seconds();
        let mut failure = None;
        let mut sizes = Vec::new();
        on_gpu.waiting = self.next_batches(max_steps, |session| {
            match trainer.step(&mut session.trainer, &session.train.data, &session.batch) {
                Ok(()) => {
                    sizes.push(session.batch.len());
                    true
                }
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        });
        on_gpu.pending = sizes;
        match failure {
            // Steps already submitted are reported; the failure ends the run with a message.
            Some(e) if on_gpu.pending.is_empty() => Err(js_err(e)),
            _ => Ok(on_gpu.pending.len() as u32),
        }
    }

    /// Resolves to the submitted steps' (loss, correct) pairs once the GPU has done them.
    pub fn gpu_losses(&mut self) -> Result<Promise, JsValue> {
        let on_gpu = self
            .gpu
            .as_mut()
            .ok_or_else(|| invalid("the session is not on the GPU"))?;
        let trainer = on_gpu
            .trainer
            .as_mut()
            .ok_or_else(|| invalid("no GPU steps were submitted"))?;
        let (_, read) = trainer.losses();
        Ok(future_to_promise(async move {
            let log = read.await.map_err(js_err)?;
            Ok(Float32Array::from(&log[..]).into())
        }))
    }

    /// Records the steps [`Session::gpu_losses`] read back and answers with [`Session::train`]'s
    /// events.
    pub fn gpu_report(&mut self, log: &[f32]) -> Result<JsValue, JsValue> {
        let on_gpu = self
            .gpu
            .as_mut()
            .ok_or_else(|| invalid("the session is not on the GPU"))?;
        if log.len() != 2 * on_gpu.pending.len() {
            return Err(invalid(format!(
                "{} GPU steps were submitted, {} values read back",
                on_gpu.pending.len(),
                log.len()
            )));
        }
        let sizes = std::mem::take(&mut on_gpu.pending);
        let (started, waiting) = (on_gpu.started, on_gpu.waiting);
        let (taken, failure) = match GpuTrainer::stats(&self.trainer, &sizes, log) {
            Ok(stats) => (stats.into_iter().map(Taken::Step).collect(), None),
            Err(e) => (Vec::new(), Some(e)),
        };
        self.report(started, taken, waiting, failure)
    }

    /// Resolves to the GPU's weights and buffers, for [`Session::set_gpu_weights`].
    pub fn gpu_weights(&self) -> Result<Promise, JsValue> {
        let trainer = self
            .gpu
            .as_ref()
            .and_then(|g| g.trainer.as_ref())
            .ok_or_else(|| invalid("the session has not trained on the GPU"))?;
        let read = trainer.weights();
        Ok(future_to_promise(async move {
            let values = read.await.map_err(js_err)?;
            Ok(Float32Array::from(&values[..]).into())
        }))
    }

    /// Puts the GPU's weights and buffers, as [`Session::gpu_weights`] read them, into the CPU
    /// model.
    pub fn set_gpu_weights(&mut self, values: &[f32]) -> Result<(), JsValue> {
        let trainer = self
            .gpu
            .as_ref()
            .and_then(|g| g.trainer.as_ref())
            .ok_or_else(|| invalid("the session has not trained on the GPU"))?;
        trainer
            .set_weights(&mut self.trainer.model, values)
            .map_err(js_err)
    }

    /// The GPU's model, made from the CPU model when the session has not trained on the GPU
    /// yet; refused when the session is not on the GPU.
    fn gpu_model(&mut self) -> Result<&mut crate::gpu::GpuModel, JsValue> {
        let on_gpu = self
            .gpu
            .as_mut()
            .ok_or_else(|| invalid("the session is not on the GPU"))?;
        Ok(on_gpu.trainer(&self.trainer)?.model_mut())
    }

    /// [`Session::predict`] on the GPU, which holds the model: resolves to the class
    /// probabilities.
    pub fn gpu_predict(&mut self, pixels: &[f32]) -> Result<Promise, JsValue> {
        let image = self.image(pixels)?;
        let read = self.gpu_model()?.infer(image, 1).map_err(js_err)?;
        Ok(future_to_promise(async move {
            let logits = read.await.map_err(js_err)?;
            Ok(Float32Array::from(&softmax(&logits, logits.len())[..]).into())
        }))
    }

    /// [`Session::inspect`] on the GPU, which holds the model: resolves to the same
    /// `{layers, kernels, saliency, probabilities}`, in one read-back.
    pub fn gpu_inspect(&mut self, pixels: &[f32]) -> Result<Promise, JsValue> {
        let pixels = self.image(pixels)?;
        let kernels = self.drawn_kernels();
        let names: Vec<&str> = kernels.iter().map(|(_, w, _)| w.as_str()).collect();
        let infos = self.trainer.model.layers().to_vec();
        let read = self.gpu_model()?.inspect(pixels, &names).map_err(js_err)?;
        Ok(future_to_promise(async move {
            let seen = read.await.map_err(js_err)?;
            let layers = infos
                .iter()
                .zip(&seen.outputs)
                .map(|(info, data)| layer_object(info, &info.sizes.output_shape, data))
                .collect::<Result<Array, _>>()?;
            let kernels = kernels
                .into_iter()
                .zip(seen.params)
                .map(|((layer, _, shape), data)| (layer, shape, data));
            let probabilities = softmax(&seen.logits, seen.logits.len());
            inspection(layers, kernels, &seen.saliency, &probabilities)
        }))
    }
}
