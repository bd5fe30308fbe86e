//! A model with its trainer and its data, behind one opaque handle: the page's worker owns a
//! `Session`, feeds it MNIST as the bytes arrive, and asks it for a few training steps at a time
//! so it can report progress and hear "pause" between calls. Large data stays in wasm memory;
//! JavaScript gets small results and typed arrays.

use super::catalogue::{fits_mnist, mnist_misfit};
use super::replica::RemotePeer;
use super::{error_value, from_js, from_js_or, js_err, to_js, Tensor, SIDE};
use crate::data::{idx, Dataset, Epoch};
use crate::error::Error;
use crate::io::checkpoint;
use crate::nn::loss::softmax;
use crate::nn::{Mode, Model, ModelSpec};
use crate::train::history::CurvePoint;
use crate::train::{argmax, Evaluation, History, TrainConfig, Trainer};
use js_sys::{Array, Float32Array, Object, Reflect, SharedArrayBuffer};
use ndarray::ArrayD;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// MNIST's training set size: assumed until the labels file's header says otherwise.
const MNIST_TRAIN: usize = 60_000;

/// A training or test split as it loads: the examples so far and whether all have arrived.
struct Split {
    data: Dataset,
    complete: bool,
}

impl Split {
    fn new() -> Self {
        Split {
            data: Dataset::empty(SIDE, SIDE),
            complete: false,
        }
    }
}

/// What a call to [`Session::train`] did.
#[derive(Serialize)]
struct TrainReport {
    steps: usize,
    /// Mean loss over this call's steps (NaN when no step ran).
    loss: f32,
    correct: usize,
    seen: usize,
    /// 1-based epoch of this run being trained, and how far through it (0–1).
    epoch: usize,
    epoch_progress: f64,
    /// Examples in an epoch: what `epoch_progress` is a fraction of.
    epoch_images: usize,
    /// The epoch ended with this call: its record in the model's history.
    epoch_done: Option<crate::train::history::EpochRecord>,
    /// Fewer examples loaded than a batch needs: call again when more arrive.
    waiting_for_data: bool,
    lr: f32,
    /// Steps the model has had, across runs.
    total_steps: u64,
    /// The history's curve points added by this call; with `redraw`, the whole curve (a long
    /// history was thinned and is drawn again).
    points: Vec<CurvePoint>,
    redraw: bool,
}

#[derive(Serialize)]
struct Misclassified {
    index: usize,
    label: u32,
    predicted: u32,
}

/// A measurement on the test set: part-way (`done` false: how far), or whole.
#[derive(Serialize)]
struct EvalReport {
    done: bool,
    evaluated: usize,
    accuracy: f64,
    correct: usize,
    total: usize,
    loss: f32,
    confusion: Vec<u32>,
    misclassified: Vec<Misclassified>,
}

/// Misclassified test images listed in an evaluation report.
const MAX_MISCLASSIFIED: usize = 64;

/// Seconds since some fixed moment (the page's clock: wasm has none of its own).
fn now_seconds() -> f64 {
    js_sys::Date::now() / 1000.0
}

#[wasm_bindgen]
pub struct Session {
    trainer: Trainer,
    /// The model's story: where it came from, its curves and scores (see [`History`]).
    history: History,
    /// A measurement of the test set under way, if any.
    evaluation: Option<Evaluation>,
    train: Split,
    test: Split,
    epoch: Epoch,
    epoch_index: usize,
    epoch_seen: usize,
    batch: Vec<usize>,
    /// A replica worker that computes half of each batch (see [`super::replica`]).
    replica: Option<RemotePeer>,
    /// Why the replica was let go during training, until the page asks.
    replica_error: Option<String>,
}

#[wasm_bindgen]
impl Session {
    /// A fresh model. `spec` is a model spec (null: the tutorial's), `config` a training config
    /// (null: the tutorial's recipe); `seed` initialises the weights.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: JsValue, config: JsValue, seed: u32) -> Result<Session, JsError> {
        let spec: ModelSpec = from_js_or(spec, "architecture", ModelSpec::tutorial)?;
        let config: TrainConfig = from_js_or(config, "training settings", TrainConfig::default)?;
        let mut model = Model::new(&spec, seed as u64).map_err(js_err)?;
        fits_mnist(&model)?;
        model.prove().map_err(js_err)?;
        let mut history = History::initialised(seed as u64);
        history.start_run(config.clone());
        Self::with_model(model, config, history)
    }

    fn with_model(model: Model, config: TrainConfig, history: History) -> Result<Session, JsError> {
        let batch = config.batch_size;
        let mut trainer = Trainer::new(model, config, MNIST_TRAIN).map_err(js_err)?;
        let epoch = trainer.epoch();
        Ok(Session {
            trainer,
            history,
            evaluation: None,
            train: Split::new(),
            test: Split::new(),
            epoch,
            epoch_index: 1,
            epoch_seen: 0,
            batch: Vec::with_capacity(batch),
            replica: None,
            replica_error: None,
        })
    }

    fn split(&mut self, name: &str) -> Result<&mut Split, JsError> {
        match name {
            "train" => Ok(&mut self.train),
            "test" => Ok(&mut self.test),
            _ => Err(JsError::new(&format!("no split '{name}' (train or test)"))),
        }
    }

    /// Appends examples to a split as they arrive: `images` holds whole 28×28 images (bytes),
    /// one per label. Returns the split's size.
    pub fn add_examples(
        &mut self,
        split: &str,
        images: &[u8],
        labels: &[u8],
    ) -> Result<u32, JsError> {
        let s = self.split(split)?;
        s.data.extend(images, labels).map_err(js_err)?;
        let len = s.data.len();
        if split == "train" {
            self.epoch.extend_to(len);
        }
        Ok(len as u32)
    }

    /// Says how many examples of a split will come (from the IDX header), before they arrive:
    /// room is made for them at once, and progress and the learning-rate schedule count on the
    /// training set's. At most MNIST's sizes are taken at their word: a header that claims more
    /// only makes the split grow as examples come.
    pub fn expect_examples(&mut self, split: &str, count: u32) -> Result<(), JsError> {
        let count = count as usize;
        let data = &mut self.split(split)?.data;
        data.reserve(count.min(MNIST_TRAIN).saturating_sub(data.len()));
        if split == "train" {
            self.trainer.set_train_len(count);
        }
        Ok(())
    }

    /// Marks a split as fully loaded.
    pub fn set_complete(&mut self, split: &str) -> Result<(), JsError> {
        self.split(split)?.complete = true;
        Ok(())
    }

    pub fn examples(&self, split: &str) -> u32 {
        match split {
            "train" => self.train.data.len() as u32,
            "test" => self.test.data.len() as u32,
            _ => 0,
        }
    }

    /// Up to `max_steps` training steps; stops early at the end of an epoch (the next call starts
    /// the next one) or when the loaded data runs short. Every step goes into the model's
    /// history. A NaN loss is an error that explains.
    pub fn train(&mut self, max_steps: u32) -> Result<JsValue, JsError> {
        let started = now_seconds();
        let curve_before = self.history.curve.len();
        let batch_size = self.trainer.config().batch_size;
        let total = if self.train.complete {
            self.train.data.len()
        } else {
            self.trainer.train_len()
        };
        let mut report = TrainReport {
            steps: 0,
            loss: 0.0,
            correct: 0,
            seen: 0,
            epoch: self.epoch_index,
            epoch_progress: 0.0,
            epoch_images: total,
            epoch_done: None,
            waiting_for_data: false,
            lr: self.trainer.lr(),
            total_steps: 0,
            points: Vec::new(),
            redraw: false,
        };
        let mut loss_sum = 0.0f64;
        let mut result = Ok(());
        while report.steps < max_steps as usize {
            if self.epoch.remaining() < batch_size && !self.train.complete {
                report.waiting_for_data = true;
                break;
            }
            if !self.epoch.next_batch(&mut self.batch) {
                break;
            }
            let stats = match &mut self.replica {
                Some(peer) => match self.trainer.step_with(peer, &self.train.data, &self.batch) {
                    Err(e) if !matches!(e, Error::Diverged(_)) => {
                        // The replica failed and the step was not applied: this batch and the
                        // rest go on alone; the page hears why from `take_replica_error`.
                        self.replica_error = Some(e.to_string());
                        self.detach_replica();
                        self.trainer.step(&self.train.data, &self.batch)
                    }
                    result => result,
                },
                None => self.trainer.step(&self.train.data, &self.batch),
            };
            let stats = match stats {
                Ok(stats) => stats,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            self.evaluation = None;
            loss_sum += stats.loss as f64 * stats.size as f64;
            report.steps += 1;
            report.correct += stats.correct;
            report.seen += stats.size;
            self.epoch_seen += stats.size;
            self.history
                .record_step(&stats, self.epoch_seen as f64 / total.max(1) as f64);
        }
        // The time of the steps that did run counts, even when one failed.
        self.history.add_seconds(now_seconds() - started);
        result.map_err(js_err)?;
        report.loss = if report.seen > 0 {
            (loss_sum / report.seen as f64) as f32
        } else {
            f32::NAN
        };
        report.epoch_progress = self.epoch_seen as f64 / total.max(1) as f64;
        if self.train.complete && self.epoch.remaining() == 0 && self.epoch_seen > 0 {
            self.history.end_epoch();
            report.epoch_done = self.history.epochs.last().cloned();
            self.epoch_index += 1;
            self.epoch_seen = 0;
            self.epoch = self.trainer.epoch();
            self.epoch.extend_to(self.train.data.len());
        }
        report.total_steps = self.history.steps;
        report.lr = self.trainer.lr();
        match self.history.curve.get(curve_before..) {
            Some(new) => report.points = new.to_vec(),
            None => {
                report.points = self.history.curve.clone();
                report.redraw = true;
            }
        }
        to_js(&report)
    }

    /// Trains with a replica from now on: `buffer` is its `Replica.buffer()`, and its network must
    /// be this one's architecture.
    pub fn attach_replica(&mut self, buffer: SharedArrayBuffer) -> Result<(), JsError> {
        self.detach_replica();
        self.replica = Some(RemotePeer::connect(buffer, &self.trainer.model).map_err(js_err)?);
        Ok(())
    }

    /// Trains alone from now on, and ends the replica's loop.
    pub fn detach_replica(&mut self) {
        if let Some(mut peer) = self.replica.take() {
            peer.stop();
        }
    }

    /// Workers training: 2 with a replica, else 1.
    pub fn threads(&self) -> u32 {
        1 + self.replica.is_some() as u32
    }

    /// Why training let its replica go, once (null when it did not).
    pub fn take_replica_error(&mut self) -> Option<String> {
        self.replica_error.take()
    }

    /// Measures the model on the test images loaded, at most `max_images` per call: call until
    /// `done`. Until then the report says how far it got; the last call's has the accuracy, the
    /// mean loss, the confusion matrix and up to 64 misclassified images, and the model's
    /// history keeps the score. A model that changes between calls is measured from the start.
    pub fn evaluate(&mut self, max_images: u32) -> Result<JsValue, JsError> {
        let data = &self.test.data;
        if data.is_empty() {
            return Err(JsError::new("no test images are loaded yet"));
        }
        let model = &mut self.trainer.model;
        let eval = self
            .evaluation
            .get_or_insert_with(|| Evaluation::new(model.classes()));
        let remaining = eval
            .run(model, data, (max_images as usize).max(1))
            .map_err(js_err)?;
        let done = remaining == 0;
        let misclassified = if done {
            eval.predictions
                .iter()
                .enumerate()
                .filter(|&(i, &p)| p != data.labels[i] as u32)
                .take(MAX_MISCLASSIFIED)
                .map(|(index, &predicted)| Misclassified {
                    index,
                    label: data.labels[index] as u32,
                    predicted,
                })
                .collect()
        } else {
            Vec::new()
        };
        let report = EvalReport {
            done,
            evaluated: eval.total,
            accuracy: eval.accuracy(),
            correct: eval.correct,
            total: data.len(),
            loss: eval.loss(),
            confusion: if done {
                eval.confusion.clone()
            } else {
                Vec::new()
            },
            misclassified,
        };
        if done {
            self.history.record_evaluation(eval.score());
            self.evaluation = None;
        }
        to_js(&report)
    }

    /// `pixels`, once checked to be one 28×28 image of finite values.
    fn image(pixels: &[f32]) -> Result<&[f32], JsError> {
        if pixels.len() != SIDE * SIDE {
            return Err(JsError::new(&format!(
                "an image is {} values (28×28), got {}",
                SIDE * SIDE,
                pixels.len()
            )));
        }
        if pixels.iter().any(|v| !v.is_finite()) {
            return Err(JsError::new("the image contains NaN or infinite values"));
        }
        Ok(pixels)
    }

    /// Class probabilities for one 28×28 image with values in [0, 1].
    pub fn predict(&mut self, pixels: &[f32]) -> Result<Vec<f32>, JsError> {
        let logits = self
            .trainer
            .model
            .forward_batch(Self::image(pixels)?, 1, Mode::Eval)
            .map_err(js_err)?;
        Ok(softmax(logits, logits.len()))
    }

    /// Every layer's output for one image: `[{name, kind, shape, data: Float32Array}]`, shapes
    /// without the batch dimension.
    pub fn activations(&mut self, pixels: &[f32]) -> Result<Array, JsError> {
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
                .map_err(|_| JsError::new("could not build the activations object"))?;
            out.push(&o);
        }
        Ok(out)
    }

    /// The saliency map of one image: |∂ logit of the predicted class / ∂ pixel|, 28×28.
    pub fn saliency(&mut self, pixels: &[f32]) -> Result<Vec<f32>, JsError> {
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

    /// The model's layers: name, kind, output shape, parameter count, FLOPs.
    pub fn layers(&self) -> Result<JsValue, JsError> {
        to_js(&self.trainer.model.layers())
    }

    pub fn spec(&self) -> Result<JsValue, JsError> {
        to_js(self.trainer.model.spec())
    }

    pub fn num_params(&self) -> u32 {
        self.trainer.model.num_params() as u32
    }

    /// A parameter by its PyTorch name (`conv1.weight`), e.g. to draw the kernels.
    pub fn param(&self, name: &str) -> Result<Tensor, JsError> {
        let (_, p) = self
            .trainer
            .model
            .named_params()
            .into_iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| JsError::new(&format!("the model has no parameter '{name}'")))?;
        Ok(Tensor::from_array(p.value.clone()))
    }

    /// The model's story: where it came from, its curves, epochs and latest test score.
    pub fn history(&self) -> Result<JsValue, JsError> {
        to_js(&self.history)
    }

    /// The model as a safetensors file (PyTorch's names and layouts), its story in the metadata.
    pub fn save(&self) -> Vec<u8> {
        checkpoint::save(&self.trainer.model, Some(&self.history))
    }

    /// Replaces the model by a checkpoint's (its architecture from the file's metadata, or the
    /// tutorial's), once it has run forward and backward on a probe batch ([`Model::prove`]); the optimiser starts afresh, the
    /// loaded data stays. `file` is the name the user gave, kept in the model's history (none:
    /// restored from the browser, history as stored). A file that does not fit leaves the
    /// session as it was, and the error says why in plain words (`message`) and in the
    /// parser's (`detail`). Returns why the file's history was left out, if it was.
    pub fn load(&mut self, bytes: &[u8], file: Option<String>) -> Result<Option<String>, JsValue> {
        let loaded = checkpoint::load(bytes).map_err(error_value)?;
        if let Some(why) = mnist_misfit(&loaded.model) {
            return Err(error_value(Error::File {
                message: format!(
                    "This file holds a network the playground cannot train on MNIST. {why}"
                ),
                detail: format!("architecture: {}", loaded.model.spec().to_json()),
            }));
        }
        let mut history = loaded.history.unwrap_or_default();
        if let Some(name) = file {
            history.loaded_from(&name);
        }
        // The page reads the history as JSON numbers: check it converts before anything changes.
        to_js(&history)?;
        let mut fresh = Self::with_model(loaded.model, self.trainer.config().clone(), history)?;
        fresh.trainer.model.prove().map_err(|e| {
            error_value(Error::File {
                message: format!("The model in this file cannot run: {}.", e.reason()),
                detail: e.to_string(),
            })
        })?;
        self.replace(fresh);
        Ok(loaded.history_error)
    }

    /// A new model and training settings, as [`Session::new`] takes them; the loaded data stays.
    pub fn reset(&mut self, spec: JsValue, config: JsValue, seed: u32) -> Result<(), JsError> {
        let fresh = Session::new(spec, config, seed)?;
        self.replace(fresh);
        Ok(())
    }

    /// A new run on the current weights with these training settings: the optimiser's state,
    /// the schedule, the shuffling and the run's epoch count begin afresh; the weights and their
    /// history stay. A replica is let go: the page starts one with the new settings.
    pub fn configure(&mut self, config: JsValue) -> Result<(), JsError> {
        let config: TrainConfig = from_js(config, "training settings")?;
        self.trainer.restart(config.clone()).map_err(js_err)?;
        self.detach_replica();
        self.history.start_run(config);
        self.evaluation = None;
        self.epoch = self.trainer.epoch();
        self.epoch.extend_to(self.train.data.len());
        self.epoch_index = 1;
        self.epoch_seen = 0;
        Ok(())
    }

    /// Takes `fresh`'s model, trainer and epoch, keeping this session's data. A replica is let
    /// go: the page starts one for the new network.
    fn replace(&mut self, mut fresh: Session) {
        self.detach_replica();
        std::mem::swap(&mut fresh.train, &mut self.train);
        std::mem::swap(&mut fresh.test, &mut self.test);
        fresh.trainer.set_train_len(self.trainer.train_len());
        fresh.epoch.extend_to(fresh.train.data.len());
        *self = fresh;
    }

    pub fn set_lr(&mut self, lr: f32) -> Result<(), JsError> {
        self.trainer.set_lr(lr).map_err(js_err)
    }

    /// Takes effect from the next epoch.
    pub fn set_batch_size(&mut self, batch_size: u32) -> Result<(), JsError> {
        self.trainer
            .set_batch_size(batch_size as usize)
            .map_err(js_err)
    }

    /// A test image's pixels (28×28 bytes) and its label.
    pub fn test_image(&self, index: u32) -> Result<Vec<u8>, JsError> {
        let i = index as usize;
        if i >= self.test.data.len() {
            return Err(JsError::new(&format!(
                "test image {i} is not loaded ({} are)",
                self.test.data.len()
            )));
        }
        Ok(self.test.data.image(i).to_vec())
    }

    pub fn test_label(&self, index: u32) -> Result<u8, JsError> {
        self.test
            .data
            .labels
            .get(index as usize)
            .copied()
            .ok_or_else(|| JsError::new("test image not loaded"))
    }
}

/// The dimensions of an IDX file from its first bytes, checked (the worker streams the rest).
#[wasm_bindgen]
pub fn idx_dims(header: &[u8]) -> Result<Vec<u32>, JsError> {
    let (dims, _) = idx::parse_header(header).map_err(js_err)?;
    Ok(dims.into_iter().map(|d| d as u32).collect())
}
