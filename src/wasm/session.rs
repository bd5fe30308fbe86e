//! A model with its trainer and its data, behind one opaque handle: the page's worker owns a
//! `Session`, feeds it a dataset as the bytes arrive, and asks it for a few training steps at a
//! time so it can report progress and hear "pause" between calls. Large data stays in wasm
//! memory; JavaScript gets small results and typed arrays.

use super::replica::RemotePeer;
use super::{from_js, from_js_or, invalid, js_err, to_js, Tensor};
use crate::data::builtin::MNIST;
use crate::data::{idx, About, Epoch, Examples};
use crate::error::Error;
use crate::io::checkpoint;
use crate::nn::{Model, ModelSpec};
use crate::train::{Evaluation, History, TrainConfig, Trainer};
use js_sys::SharedArrayBuffer;
use wasm_bindgen::prelude::*;

/// The most examples of a split taken at a header's word, before they arrive (MNIST's
/// training set): a header that claims more only makes the split grow as examples come.
const EXPECTED: usize = 60_000;
/// The largest dataset the PyTorch project holds (its images' bytes); a larger one is trained on
/// from its folder.
const PROJECT_DATA: usize = 64 << 20;

/// A training or test split as it loads: the examples so far and whether all have arrived.
pub(super) struct Split {
    pub(super) data: Examples,
    pub(super) complete: bool,
}

impl Split {
    fn new(about: &About) -> Self {
        Split {
            data: Examples::empty(about.shape, about.classes.len()),
            complete: false,
        }
    }
}

#[wasm_bindgen]
pub struct Session {
    pub(super) trainer: Trainer,
    /// The dataset it trains on: its name, image shape and classes.
    pub(super) about: About,
    /// The model's story: where it came from, its curves and scores (see [`History`]).
    pub(super) history: History,
    /// A measurement of the test set under way, if any.
    pub(super) evaluation: Option<Evaluation>,
    pub(super) train: Split,
    pub(super) test: Split,
    /// Drawings the user labelled to correct the model ([`Session::correct`]).
    pub(super) corrections: Examples,
    pub(super) epoch: Epoch,
    pub(super) epoch_index: usize,
    pub(super) epoch_seen: usize,
    pub(super) batch: Vec<usize>,
    /// A replica worker that computes half of each batch (see [`super::replica`]).
    pub(super) replica: Option<RemotePeer>,
    /// The last [`Session::train`]'s steps on the CPU, until [`Session::report`] says them.
    pub(super) unreported: Option<super::run::Unreported>,
    /// The GPU it trains on, when it does (see [`super::device`]).
    #[cfg(feature = "gpu")]
    pub(super) gpu: Option<super::device::OnGpu>,
}

#[wasm_bindgen]
impl Session {
    /// A fresh model for a dataset. `spec` is a model spec (null: the tutorial's), fitted to the
    /// data ([`ModelSpec::for_data`]); `config` a training config (null: the tutorial's recipe);
    /// `seed` initialises the weights; `data` what the dataset is, as [`About`] (null: MNIST).
    #[wasm_bindgen(constructor)]
    pub fn new(
        spec: JsValue,
        config: JsValue,
        seed: u32,
        data: JsValue,
    ) -> Result<Session, JsValue> {
        let spec: ModelSpec = from_js_or(spec, "architecture", ModelSpec::tutorial)?;
        let config: TrainConfig = from_js_or(config, "training settings", TrainConfig::default)?;
        let about: About = from_js_or(data, "dataset", || MNIST.about())?;
        let mut model = fitted_model(&spec, &about, seed)?;
        model.prove().map_err(js_err)?;
        let mut history = History::initialised(seed as u64);
        history.start_run(config.clone());
        Self::with_model(model, config, history, about)
    }

    fn with_model(
        model: Model,
        config: TrainConfig,
        history: History,
        about: About,
    ) -> Result<Session, JsValue> {
        let batch = config.batch_size;
        let mut trainer = Trainer::new(model, config, EXPECTED).map_err(js_err)?;
        let epoch = trainer.epoch();
        Ok(Session {
            trainer,
            history,
            evaluation: None,
            train: Split::new(&about),
            test: Split::new(&about),
            corrections: Examples::empty(about.shape, about.classes.len()),
            about,
            epoch,
            epoch_index: 1,
            epoch_seen: 0,
            batch: Vec::with_capacity(batch),
            replica: None,
            unreported: None,
            #[cfg(feature = "gpu")]
            gpu: None,
        })
    }

    fn split(&mut self, name: &str) -> Result<&mut Split, JsValue> {
        match name {
            "train" => Ok(&mut self.train),
            "test" => Ok(&mut self.test),
            _ => Err(invalid(format!("no split '{name}' (train or test)"))),
        }
    }

    /// Appends examples to a split as they arrive: `images` holds whole images of the dataset's
    /// shape (bytes, C×H×W), one per label. Returns the split's size.
    pub fn add_examples(
        &mut self,
        split: &str,
        images: &[u8],
        labels: &[u8],
    ) -> Result<u32, JsValue> {
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
    /// training set's. At most [`EXPECTED`] are taken at their word.
    pub fn expect_examples(&mut self, split: &str, count: u32) -> Result<(), JsValue> {
        let count = count as usize;
        let data = &mut self.split(split)?.data;
        data.reserve(count.min(EXPECTED).saturating_sub(data.len()));
        if split == "train" {
            self.trainer.set_train_len(count);
        }
        Ok(())
    }

    /// Marks a split as fully loaded.
    pub fn set_complete(&mut self, split: &str) -> Result<(), JsValue> {
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

    /// Trains with a replica from now on: `buffer` is its `Replica.buffer()`, and its network must
    /// be this one's architecture.
    pub fn attach_replica(&mut self, buffer: SharedArrayBuffer) -> Result<(), JsValue> {
        if self.on_gpu() {
            return Err(invalid(
                "the session trains on the GPU: one worker drives it",
            ));
        }
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

    /// The model's layers: name, kind, output shape, parameter count, FLOPs.
    pub fn layers(&self) -> Result<JsValue, JsValue> {
        to_js(&self.trainer.model.layers())
    }

    pub fn spec(&self) -> Result<JsValue, JsValue> {
        to_js(self.trainer.model.spec())
    }

    pub fn num_params(&self) -> u32 {
        self.trainer.model.num_params() as u32
    }

    /// A parameter by its PyTorch name (`conv1.weight`), e.g. to draw the kernels.
    pub fn param(&self, name: &str) -> Result<Tensor, JsValue> {
        let (_, p) = self
            .trainer
            .model
            .named_params()
            .into_iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| invalid(format!("the model has no parameter '{name}'")))?;
        Ok(Tensor::from_array(p.value.clone()))
    }

    /// The model's story: where it came from, its curves, epochs and latest test score.
    pub fn history(&self) -> Result<JsValue, JsValue> {
        to_js(&self.history)
    }

    /// The model as a safetensors file (PyTorch's names and layouts), its story in the metadata.
    pub fn save(&self) -> Vec<u8> {
        checkpoint::save(&self.trainer.model, Some(&self.history))
    }

    /// The model in one of [`crate::export::FORMATS`]; the PyTorch project trains with the
    /// settings in use, on the dataset in use: torchvision's copy, or the dataset's own file in
    /// the project when it is at most [`PROJECT_DATA`] bytes.
    pub fn export(&self, format: &str) -> Result<Vec<u8>, JsValue> {
        let bytes = (self.train.data.images.len()).saturating_add(self.test.data.images.len());
        let dataset = match format == "pytorch"
            && !crate::export::pytorch::in_torchvision(&self.about.name)
            && bytes <= PROJECT_DATA
        {
            true => Some(self.dataset_file()?),
            false => None,
        };
        crate::export::write(
            format,
            &self.trainer.model,
            self.trainer.config(),
            Some(&self.history),
            dataset,
        )
        .map_err(js_err)
    }

    /// Replaces the model by a file's (safetensors, PyTorch's or Paddle's; its architecture the
    /// file's, or the first its tensors fit of the one in use and the recipes'), once it has run forward and backward on a probe batch ([`Model::prove`]); the optimiser starts afresh, the
    /// loaded data stays. `file` is the name the user gave, kept in the model's history (none:
    /// restored from the browser, history as stored). A file that does not fit leaves the
    /// session as it was, and the error says why in plain words (`message`) and in the
    /// parser's (`detail`). Returns why the file's history was left out, if it was.
    pub fn load(&mut self, bytes: &[u8], file: Option<String>) -> Result<Option<String>, JsValue> {
        let loaded =
            checkpoint::load_onto(bytes, Some(self.trainer.model.spec())).map_err(js_err)?;
        let about = &self.about;
        if let Some(why) = loaded
            .model
            .misfit(&about.name, about.shape, about.classes.len())
        {
            return Err(js_err(Error::File {
                message: format!(
                    "This file holds a network the playground cannot train on {}. {why}",
                    about.name
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
        let mut fresh = Self::with_model(
            loaded.model,
            self.trainer.config().clone(),
            history,
            self.about.clone(),
        )?;
        fresh.trainer.model.prove().map_err(|e| {
            js_err(Error::File {
                message: format!("The model in this file cannot run: {}.", e.reason()),
                detail: e.to_string(),
            })
        })?;
        self.replace(fresh);
        Ok(loaded.history_error)
    }

    /// A new model and training settings, as [`Session::new`] takes them, for the dataset in
    /// use; the loaded data stays.
    pub fn reset(&mut self, spec: JsValue, config: JsValue, seed: u32) -> Result<(), JsValue> {
        let fresh = Session::new(spec, config, seed, to_js(&self.about)?)?;
        self.replace(fresh);
        Ok(())
    }

    /// A new run on the current weights with these training settings: the optimiser's state,
    /// the schedule, the shuffling and the run's epoch count begin afresh; the weights and their
    /// history stay. A replica is let go: the page starts one with the new settings.
    pub fn configure(&mut self, config: JsValue) -> Result<(), JsValue> {
        let config: TrainConfig = from_js(config, "training settings")?;
        self.restart_run(config)
    }
}

#[wasm_bindgen]
impl Session {
    /// What the dataset in use is ([`About`]), its splits' sizes as loaded so far, and
    /// `test_note`: how its test set was made, for wherever accuracy is reported.
    pub fn dataset(&self) -> Result<JsValue, JsValue> {
        #[derive(serde::Serialize)]
        struct Described {
            #[serde(flatten)]
            about: About,
            test_note: String,
        }
        let mut about = self.about.clone();
        about.train = self.train.data.len();
        about.test = self.test.data.len();
        let test_note = about.test_note();
        to_js(&Described { about, test_note })
    }

    /// A test image's pixels (C×H×W bytes) and its label.
    pub fn test_image(&self, index: u32) -> Result<Vec<u8>, JsValue> {
        let i = index as usize;
        if i >= self.test.data.len() {
            return Err(invalid(format!(
                "test image {i} is not loaded ({} are)",
                self.test.data.len()
            )));
        }
        Ok(self.test.data.image(i).to_vec())
    }

    pub fn test_label(&self, index: u32) -> Result<u8, JsValue> {
        self.test
            .data
            .labels
            .get(index as usize)
            .copied()
            .ok_or_else(|| invalid("test image not loaded"))
    }
}

impl Session {
    /// A new run of the current weights with `config` (see [`Session::configure`]).
    pub(super) fn restart_run(&mut self, config: TrainConfig) -> Result<(), JsValue> {
        self.trainer.restart(config.clone()).map_err(js_err)?;
        self.detach_replica();
        self.unreported = None;
        #[cfg(feature = "gpu")]
        if let Some(g) = &mut self.gpu {
            g.invalidate();
        }
        self.history.start_run(config);
        self.evaluation = None;
        self.epoch = self.trainer.epoch();
        self.epoch.extend_to(self.train.data.len());
        self.epoch_index = 1;
        self.epoch_seen = 0;
        Ok(())
    }

    /// A new run on the data now in use, with the settings in use: the schedule counts on the
    /// training set's size (the expected one while it streams in).
    pub(super) fn restart_epoch(&mut self) -> Result<(), JsValue> {
        let len = match self.train.complete {
            true => self.train.data.len(),
            false => EXPECTED,
        };
        self.trainer.set_train_len(len);
        self.restart_run(self.trainer.config().clone())
    }

    /// The dataset is `about` from now on, its splits empty until examples come.
    pub(super) fn set_about(&mut self, about: About) {
        self.train = Split::new(&about);
        self.test = Split::new(&about);
        self.corrections = Examples::empty(about.shape, about.classes.len());
        self.about = about;
        self.evaluation = None;
    }

    /// A new model in place of this one, with a fresh story; the data stays.
    pub(super) fn replace_model(&mut self, model: Model, seed: u32) -> Result<(), JsValue> {
        let config = self.trainer.config().clone();
        let mut history = History::initialised(seed as u64);
        history.start_run(config.clone());
        let fresh = Self::with_model(model, config, history, self.about.clone())?;
        self.replace(fresh);
        Ok(())
    }

    /// Takes `fresh`'s model, trainer and epoch, keeping this session's data. A replica is let
    /// go: the page starts one for the new network.
    fn replace(&mut self, mut fresh: Session) {
        self.detach_replica();
        std::mem::swap(&mut fresh.train, &mut self.train);
        std::mem::swap(&mut fresh.test, &mut self.test);
        std::mem::swap(&mut fresh.corrections, &mut self.corrections);
        fresh.trainer.set_train_len(self.trainer.train_len());
        fresh.epoch.extend_to(fresh.train.data.len());
        // The device stays; the new model goes to it at the next step.
        #[cfg(feature = "gpu")]
        {
            fresh.gpu = self.gpu.take();
            if let Some(g) = &mut fresh.gpu {
                g.invalidate();
            }
        }
        *self = fresh;
    }
}

/// The dimensions of an IDX file from its first bytes, checked (the worker streams the rest).
#[wasm_bindgen]
pub fn idx_dims(header: &[u8]) -> Result<Vec<u32>, JsValue> {
    let (dims, _) = idx::parse_header(header).map_err(js_err)?;
    Ok(dims.into_iter().map(|d| d as u32).collect())
}

/// A model of `spec` fitted to a dataset ([`ModelSpec::for_data`]), refused in the core's words
/// if it still does not fit.
pub(super) fn fitted_model(spec: &ModelSpec, about: &About, seed: u32) -> Result<Model, JsValue> {
    about.check().map_err(js_err)?;
    let spec = spec.for_data(about.shape, about.classes.len());
    let model = Model::new(&spec, seed as u64).map_err(js_err)?;
    match model.misfit(&about.name, about.shape, about.classes.len()) {
        Some(why) => Err(invalid(why)),
        None => Ok(model),
    }
}
