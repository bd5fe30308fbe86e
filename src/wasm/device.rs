//! Where a session trains: the browser's GPU (WebGPU) in the build with the `gpu` feature when
//! the browser gives one, else the CPU. The worker asks for a [`Device`] once and gives it to
//! its session ([`Session::use_device`]); from then on the same calls train, predict and inspect
//! whatever the device, and the session keeps its CPU copy of the model (what it evaluates and
//! saves) in step itself.
//!
//! On the GPU, [`Session::train`] submits a chunk of steps and its promise resolves once the
//! GPU has done them and their losses and the weights are read back, in one wait; the session
//! is not held across that wait, so the worker can answer meanwhile. [`Session::report`] then
//! records them and puts the weights in the CPU copy. Predictions and inspection run on the
//! GPU, which holds the model.

use super::session::Session;
use super::to_js;
use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(feature = "gpu")]
use {
    super::inspect::{inspection, layer_object},
    super::run::{now_seconds, Taken, Unreported},
    super::{invalid, js_err},
    crate::error::Result as CoreResult,
    crate::gpu::train::Readings,
    crate::gpu::{Gpu, GpuTrainer},
    crate::nn::loss::softmax,
    crate::train::Trainer,
    js_sys::{Array, Float32Array},
    std::cell::RefCell,
    std::rc::Rc,
    wasm_bindgen_futures::future_to_promise,
};

/// The device a session trains on, as the browser gave it.
#[wasm_bindgen]
pub struct Device {
    #[cfg(feature = "gpu")]
    gpu: Option<Rc<Gpu>>,
    /// Why the GPU is not used, when this build has the GPU path and could not have it.
    reason: String,
}

/// What the page is told of the device: `{device: 'gpu' | 'cpu', info, reason}`, info the
/// GPU's [`crate::gpu::AdapterInfo`].
#[derive(Serialize)]
struct Told<'a> {
    device: &'static str,
    info: Option<serde_json::Value>,
    reason: &'a str,
}

/// Resolves to the device to train on: the browser's GPU where this build has the GPU path and
/// the browser gives an adapter and a device, else the CPU (with why, in the GPU build).
#[wasm_bindgen]
pub fn request_device() -> Promise {
    #[cfg(feature = "gpu")]
    return future_to_promise(async {
        let device = match Gpu::new().await {
            Ok(gpu) => Device {
                gpu: Some(Rc::new(gpu)),
                reason: String::new(),
            },
            Err(e) => Device {
                gpu: None,
                reason: format!(
                    "the GPU could not be used ({}); training runs on the CPU",
                    e.reason()
                ),
            },
        };
        Ok(device.into())
    });
    #[cfg(not(feature = "gpu"))]
    {
        let device: JsValue = Device {
            reason: String::new(),
        }
        .into();
        Promise::resolve(&device)
    }
}

#[wasm_bindgen]
impl Session {
    /// Trains on `device` from the next step on; says `{device, info, reason}`.
    pub fn use_device(&mut self, device: &Device) -> Result<JsValue, JsValue> {
        #[cfg(feature = "gpu")]
        let info = {
            self.gpu = device.gpu.clone().map(OnGpu::new);
            if self.gpu.is_some() {
                self.detach_replica();
            }
            let info = device.gpu.as_ref().map(|g| g.info());
            info.map(|i| serde_json::to_value(i).expect("adapter info serialises"))
        };
        #[cfg(not(feature = "gpu"))]
        let info = None;
        to_js(&Told {
            device: if self.on_gpu() { "gpu" } else { "cpu" },
            info,
            reason: &device.reason,
        })
    }

    /// Why a second worker cannot share the training, when it cannot (the GPU trains).
    pub fn one_worker_reason(&self) -> Option<String> {
        self.on_gpu().then(|| "training runs on the GPU".into())
    }

    /// Class probabilities for one image (C×H×W, values in [0, 1]), from the device that holds
    /// the model: resolves to a Float32Array.
    pub fn predict(&mut self, pixels: &[f32]) -> Result<Promise, JsValue> {
        #[cfg(feature = "gpu")]
        if self.on_gpu() {
            return self.predict_on_gpu(pixels);
        }
        let probabilities = self.predict_here(pixels)?;
        let array: JsValue = js_sys::Float32Array::from(&probabilities[..]).into();
        Ok(Promise::resolve(&array))
    }

    /// What the layers panel draws of one image, from the device that holds the model: resolves
    /// to `{layers, kernels, saliency, probabilities}` (see [`super::inspect`]).
    pub fn inspect(&mut self, pixels: &[f32]) -> Result<Promise, JsValue> {
        #[cfg(feature = "gpu")]
        if self.on_gpu() {
            return self.inspect_on_gpu(pixels);
        }
        Ok(Promise::resolve(&self.inspect_here(pixels)?))
    }

    /// Whether it trains on the GPU (only ever in the build with the `gpu` feature).
    pub fn on_gpu(&self) -> bool {
        #[cfg(feature = "gpu")]
        return self.gpu.is_some();
        #[cfg(not(feature = "gpu"))]
        false
    }
}

/// A refusal for a call that needs the session on the GPU.
#[cfg(feature = "gpu")]
fn not_on_gpu() -> JsValue {
    invalid("the session is not on the GPU")
}

/// The GPU side of a session: the device, the trainer on it for the current run (made when the
/// next steps need it, from the CPU model as it is then), and the chunk of steps submitted and
/// not yet reported.
#[cfg(feature = "gpu")]
pub(super) struct OnGpu {
    gpu: Rc<Gpu>,
    trainer: Option<GpuTrainer>,
    chunk: Option<Chunk>,
}

/// Steps submitted to the GPU: their batch sizes, when they began, whether they stopped for
/// want of data or at a failure, and where their read-back lands.
#[cfg(feature = "gpu")]
struct Chunk {
    sizes: Vec<usize>,
    started: f64,
    waiting: bool,
    failure: Option<crate::Error>,
    read: Rc<RefCell<Option<CoreResult<Readings>>>>,
}

#[cfg(feature = "gpu")]
impl OnGpu {
    fn new(gpu: Rc<Gpu>) -> Self {
        OnGpu {
            gpu,
            trainer: None,
            chunk: None,
        }
    }

    /// The run changed (new weights, new settings): its trainer is made again at the next step,
    /// and steps submitted are never reported (a read-back still under way lands nowhere).
    pub(super) fn invalidate(&mut self) {
        self.trainer = None;
        self.chunk = None;
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

#[cfg(feature = "gpu")]
impl Session {
    /// [`Session::train`] on the GPU: submits up to `max_steps` steps, stopping where the CPU
    /// would; the promise resolves once they and the read-back of the weights are done.
    pub(super) fn train_on_gpu(&mut self, max_steps: u32) -> Result<Promise, JsValue> {
        let mut on_gpu = self.gpu.take().ok_or_else(not_on_gpu)?;
        let result = self.submit(&mut on_gpu, max_steps);
        self.gpu = Some(on_gpu);
        result
    }

    fn submit(&mut self, on_gpu: &mut OnGpu, max_steps: u32) -> Result<Promise, JsValue> {
        if on_gpu.chunk.is_some() {
            return Err(invalid("the last steps have not been reported yet"));
        }
        on_gpu.trainer(&self.trainer)?;
        let trainer = on_gpu.trainer.as_mut().expect("made above");
        let max_steps = max_steps.min(crate::gpu::train::LOG_STEPS as u32);
        let started = now_seconds();
        let mut failure = None;
        let waiting = self.next_batches(max_steps, |session| {
            match trainer.step(&mut session.trainer, &session.train.data, &session.batch) {
                Ok(()) => true,
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        });
        let (sizes, read) = trainer.read_back();
        let slot = Rc::new(RefCell::new(None));
        on_gpu.chunk = Some(Chunk {
            sizes,
            started,
            waiting,
            failure,
            read: slot.clone(),
        });
        Ok(future_to_promise(async move {
            let readings = read.await;
            *slot.borrow_mut() = Some(readings);
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// [`Session::report`] on the GPU: the chunk's steps, their weights put in the CPU copy.
    /// None when no chunk awaits reporting (the run changed meanwhile).
    pub(super) fn unreported_on_gpu(&mut self) -> Result<Option<Unreported>, JsValue> {
        let Some(on_gpu) = self.gpu.as_mut() else {
            return Ok(None);
        };
        let Some(done) = on_gpu.chunk.as_ref().map(|c| c.read.borrow().is_some()) else {
            return Ok(None);
        };
        if !done {
            return Err(invalid(
                "the steps are not done yet: wait for train's promise",
            ));
        }
        let chunk = on_gpu.chunk.take().expect("looked at above");
        let readings = chunk.read.take().expect("done");
        let mut failure = chunk.failure;
        let mut taken = Vec::new();
        match readings.and_then(|r| {
            let trainer = on_gpu.trainer.as_ref().expect("a chunk has its trainer");
            trainer.set_weights(&mut self.trainer.model, &r.weights)?;
            GpuTrainer::stats(&self.trainer, &chunk.sizes, &r.log)
        }) {
            Ok(stats) => taken.extend(stats.into_iter().map(Taken::Step)),
            Err(e) => failure = Some(e),
        }
        Ok(Some(Unreported {
            started: chunk.started,
            taken,
            waiting: chunk.waiting,
            failure,
        }))
    }

    /// The GPU's model, made from the CPU model when the session has not trained on the GPU
    /// yet.
    fn gpu_model(&mut self) -> Result<&mut crate::gpu::GpuModel, JsValue> {
        let on_gpu = self.gpu.as_mut().ok_or_else(not_on_gpu)?;
        Ok(on_gpu.trainer(&self.trainer)?.model_mut())
    }

    fn predict_on_gpu(&mut self, pixels: &[f32]) -> Result<Promise, JsValue> {
        let image = self.image(pixels)?;
        let read = self.gpu_model()?.infer(image, 1).map_err(js_err)?;
        Ok(future_to_promise(async move {
            let logits = read.await.map_err(js_err)?;
            Ok(Float32Array::from(&softmax(&logits, logits.len())[..]).into())
        }))
    }

    fn inspect_on_gpu(&mut self, pixels: &[f32]) -> Result<Promise, JsValue> {
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
