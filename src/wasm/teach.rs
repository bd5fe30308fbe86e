//! Teaching the model from the Draw panel: classes the user drew become the dataset, learnt from
//! scratch or by fine-tuning the current model ([`Session::teach`]); and a drawing the model got
//! wrong, labelled by the user ("that was a 7"), joins a correction set that the model is
//! fine-tuned on until it reads every correction right ([`Session::correct`]).

use super::dataset::DatasetReader;
use super::run::now_seconds;
use super::session::{fitted_model, Session};
use super::{invalid, js_err, to_js};
use crate::data::augment::random_shift;
use crate::data::drawn::SHIFT;
use crate::data::Examples;
use crate::nn::Mode;
use crate::rng::Rng;
use crate::train::{Schedule, TrainConfig};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Corrections kept at most; the oldest give way.
pub const MAX_CORRECTIONS: usize = 200;
/// A correction fine-tunes for at most this many steps, at least [`MIN_STEPS`], stopping once
/// every correction is read right.
pub const MAX_STEPS: usize = 60;
pub const MIN_STEPS: usize = 5;
/// Each step's batch: half corrections (shifted by up to [`SHIFT`] pixels), half training
/// images, so the model learns the correction without forgetting the rest.
pub const BATCH: usize = 32;

#[derive(Serialize)]
struct Corrected {
    steps: usize,
    /// Corrections held, and whether the model now reads every one right.
    corrections: usize,
    learnt: bool,
    seconds: f64,
}

#[wasm_bindgen]
impl Session {
    /// Trains on the drawings `reader` holds ([`DatasetReader::drawn`]) from now on, with a new
    /// model of the current architecture fitted to their classes (seeded with `seed`). With
    /// `fine_tune`, it takes the current model's weights for every layer that fits but the last
    /// ([`crate::nn::Model::take_features`]). Returns the layers taken.
    pub fn teach(
        &mut self,
        reader: &mut DatasetReader,
        fine_tune: bool,
        seed: u32,
    ) -> Result<Vec<String>, JsValue> {
        let dataset = reader.take()?;
        let about = dataset.about();
        let mut model = fitted_model(self.trainer.model.spec(), &about, seed)?;
        let taken = match fine_tune {
            true => model.take_features(&self.trainer.model),
            false => Vec::new(),
        };
        model.prove().map_err(js_err)?;
        let from = self
            .history
            .data
            .as_ref()
            .map_or("an untrained model".to_string(), |d| {
                format!("a model trained on {}", d.name)
            });
        self.detach_replica();
        self.replace_model(model, seed)?;
        if fine_tune {
            let kept = match taken.is_empty() {
                true => "no layer fitted".to_string(),
                false => taken.join(", "),
            };
            self.history.fine_tuned_from = Some(format!("{from}: {kept}"));
        }
        self.set_about(about);
        self.hold(dataset);
        self.restart_epoch()?;
        Ok(taken)
    }

    /// Learns that `pixels` (a network input of the dataset's shape, C×H×W in [0, 1]) is of class
    /// `label`: it joins the correction set, and the model is fine-tuned on the corrections with
    /// as many training images, at the run's rate without its schedule, until it reads every
    /// correction right. The run starts over afterwards, with its settings.
    pub fn correct(&mut self, pixels: &[f32], label: u32) -> Result<JsValue, JsValue> {
        let shape = self.about.shape;
        let classes = self.about.classes.len();
        if pixels.len() != shape.len() {
            return Err(invalid(format!(
                "{} values for a {} image",
                pixels.len(),
                shape.text()
            )));
        }
        if label as usize >= classes {
            return Err(invalid(format!(
                "class {label} is not one of the {classes} of {}",
                self.about.name
            )));
        }
        let started = now_seconds();
        let image: Vec<u8> = pixels
            .iter()
            .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect();
        if self.corrections.len() >= MAX_CORRECTIONS {
            let keep: Vec<usize> = (1..self.corrections.len()).collect();
            self.corrections = self.corrections.select(&keep);
        }
        self.corrections
            .extend(&image, &[label as u8])
            .map_err(js_err)?;

        let run = self.trainer.config().clone();
        let tuning = TrainConfig {
            batch_size: BATCH,
            schedule: Schedule::Constant,
            shift: 0,
            ..run.clone()
        };
        self.trainer.restart(tuning).map_err(js_err)?;
        let mut rng = Rng::new(self.history.steps ^ (self.corrections.len() as u64) << 32);
        let mut mix = Examples::empty(shape, classes);
        let all: Vec<usize> = (0..BATCH).collect();
        let (mut steps, mut learnt) = (0, false);
        // A failure ends the tuning, but the run's settings come back all the same.
        let mut failure = None;
        while steps < MAX_STEPS && !(learnt && steps >= MIN_STEPS) {
            self.mixed_batch(&mut mix, &mut rng);
            let stepped = self.trainer.step(&mix, &all[..mix.len()]);
            steps += stepped.is_ok() as usize;
            match stepped.and_then(|_| self.reads_corrections()) {
                Ok(read) => learnt = read,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        self.history.corrected(steps as u64, (steps * BATCH) as u64);
        self.history.add_seconds(now_seconds() - started);
        self.restart_run(run)?;
        if let Some(e) = failure {
            return Err(js_err(e));
        }
        to_js(&Corrected {
            steps,
            corrections: self.corrections.len(),
            learnt,
            seconds: now_seconds() - started,
        })
    }

    /// Corrections held (they go with the dataset).
    pub fn corrections(&self) -> u32 {
        self.corrections.len() as u32
    }
}

impl Session {
    /// A correction step's batch into `mix`: [`BATCH`] / 2 corrections drawn at random, each
    /// shifted at random, and training images drawn at random for the rest (more corrections
    /// when there are none).
    fn mixed_batch(&self, mix: &mut Examples, rng: &mut Rng) {
        let shape = self.about.shape;
        mix.images.clear();
        mix.labels.clear();
        let from_train = match self.train.data.is_empty() {
            true => 0,
            false => BATCH / 2,
        };
        for _ in from_train..BATCH {
            let i = rng.below(self.corrections.len());
            let at = mix.images.len();
            mix.images.extend_from_slice(self.corrections.image(i));
            random_shift(&mut mix.images[at..], shape, SHIFT as usize, rng);
            mix.labels.push(self.corrections.labels[i]);
        }
        for _ in 0..from_train {
            let i = rng.below(self.train.data.len());
            mix.images.extend_from_slice(self.train.data.image(i));
            mix.labels.push(self.train.data.labels[i]);
        }
    }

    /// Whether the model reads every correction, as drawn, as its label.
    fn reads_corrections(&mut self) -> crate::error::Result<bool> {
        let mut x = Vec::new();
        let mut y = Vec::new();
        let all: Vec<usize> = (0..self.corrections.len()).collect();
        self.corrections.gather(&all, &mut x, &mut y);
        let logits = self
            .trainer
            .model
            .forward_batch(&x, all.len(), Mode::Eval)?;
        let outputs = logits.len() / all.len();
        Ok(logits.chunks_exact(outputs).zip(&y).all(|(row, &label)| {
            let best = (0..outputs)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0);
            best == label as usize
        }))
    }
}
