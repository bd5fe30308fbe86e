//! Training: a step (forward, loss, backward, update), an epoch of shuffled batches, and
//! evaluation with a confusion matrix. The CLI and the page's worker both drive this.
//!
//! - [`evaluate`]: accuracy, loss and confusion matrix on a test set, in slices for progress;
//! - [`history`]: a model's story (curves, epochs, its last test score), kept with its weights;
//! - [`recipe`]: the networks and settings offered by name (the tutorial's, the fast and the
//!   improved ones);
//! - [`threads`]: peers on native threads, each computing a share of every batch.

pub mod evaluate;
pub mod history;
pub mod recipe;
pub mod threads;

pub use evaluate::{evaluate, Evaluation, EVAL_BATCH};
pub use history::History;
pub use recipe::Recipe;

use crate::data::augment::random_shift;
use crate::data::{Epoch, Examples};
use crate::error::{Error, Result};
use crate::field::Field;
use crate::nn::loss::softmax_cross_entropy;
use crate::nn::{Mode, Model};
use crate::optim::{Optimizer, OptimizerSpec};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// How the learning rate moves over the run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// The optimiser's rate throughout (the tutorial's).
    Constant,
    /// Half a cosine from the optimiser's rate down to zero at the last step.
    Cosine,
    /// One cycle (Smith & Topin, 2018): up in a line from a 25th of the optimiser's rate to all
    /// of it over the first quarter of the steps, then half a cosine down to zero. Lets a high
    /// rate be used from the start: a good model in one epoch.
    OneCycle,
}

impl Schedule {
    pub const ALL: [Schedule; 3] = [Schedule::Constant, Schedule::Cosine, Schedule::OneCycle];

    /// Its name in settings, links and the CLI (serde's).
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Cosine => "cosine",
            Schedule::OneCycle => "one_cycle",
        }
    }

    /// Its name in the page's words.
    pub fn label(self) -> &'static str {
        match self {
            Schedule::Constant => "constant rate",
            Schedule::Cosine => "cosine to zero",
            Schedule::OneCycle => "one cycle",
        }
    }

    /// The share of the optimiser's rate to use when a share `done` of the run's steps is done.
    pub fn factor(self, done: f32) -> f32 {
        let t = done.clamp(0.0, 1.0);
        let cosine = |t: f32| 0.5 * (1.0 + libm::cosf(std::f32::consts::PI * t));
        match self {
            Schedule::Constant => 1.0,
            Schedule::Cosine => cosine(t),
            Schedule::OneCycle if t < WARMUP_SHARE => {
                WARMUP_START + (1.0 - WARMUP_START) * t / WARMUP_SHARE
            }
            Schedule::OneCycle => cosine((t - WARMUP_SHARE) / (1.0 - WARMUP_SHARE)),
        }
    }

    pub fn named(name: &str) -> Result<Schedule> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|s| s.name()).collect();
                Error::Invalid(format!(
                    "'{name}' is not a schedule: one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// One cycle's share of the steps spent warming up, and how far below the peak it starts.
const WARMUP_SHARE: f32 = 0.25;
const WARMUP_START: f32 = 1.0 / 25.0;

/// A training run's settings; the default is the tutorial's recipe. Unknown fields are refused:
/// a misspelt setting must not pass as its default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerSpec,
    pub schedule: Schedule,
    /// Shift each training image by up to this many pixels (0: none, the tutorial's).
    pub shift: usize,
    /// Label smoothing ε: the loss's target puts 1 − ε on the label and ε/K on every class
    /// (0: none, the tutorial's).
    pub label_smoothing: f32,
    /// Seeds the shuffling and augmentation (the model has its own seed).
    pub seed: u64,
}

impl TrainConfig {
    /// Refuses settings a trainer could not run with (the same checks as [`Trainer::new`]'s,
    /// but the batch against a network's memory).
    pub fn check(&self) -> Result<()> {
        checked(self).map(|_| ())
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: EPOCHS.default_count(),
            batch_size: BATCH_SIZE.default_count(),
            optimizer: OptimizerSpec::adam(crate::optim::LR.default_number()),
            schedule: Schedule::Constant,
            shift: SHIFT.default_count(),
            label_smoothing: LABEL_SMOOTHING.value as f32,
            seed: SEED.default_count() as u64,
        }
    }
}

/// What one step measured on its batch.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct StepStats {
    pub loss: f32,
    pub correct: usize,
    pub size: usize,
}

pub struct Trainer {
    pub model: Model,
    config: TrainConfig,
    optimizer: Box<dyn Optimizer>,
    base_lr: f32,
    rng: Rng,
    step: usize,
    /// Examples in the training set: with the epochs and batch size, the cosine's length.
    train_len: usize,
    /// Buffers reused from step to step: the batch's images and labels, dL/dlogits, and the
    /// peer's gradients.
    x: Vec<f32>,
    y: Vec<u8>,
    dlogits: Vec<f32>,
    peer_grads: Vec<f32>,
}

impl Trainer {
    /// A trainer for `model` on a training set of `train_len` examples.
    pub fn new(model: Model, config: TrainConfig, train_len: usize) -> Result<Self> {
        let optimizer = checked(&config)?;
        model.check_batch(config.batch_size)?;
        Ok(Trainer {
            model,
            base_lr: optimizer.lr(),
            optimizer,
            rng: Rng::new(config.seed),
            step: 0,
            train_len,
            x: Vec::new(),
            y: Vec::new(),
            dlogits: Vec::new(),
            peer_grads: Vec::new(),
            config,
        })
    }

    /// Starts a new run on the same weights: the settings, the optimiser's state, the schedule
    /// and the shuffling begin afresh. Bad settings change nothing.
    pub fn restart(&mut self, config: TrainConfig) -> Result<()> {
        let optimizer = checked(&config)?;
        self.model.check_batch(config.batch_size)?;
        self.base_lr = optimizer.lr();
        self.optimizer = optimizer;
        self.rng = Rng::new(config.seed);
        self.step = 0;
        self.config = config;
        Ok(())
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The learning rate the next step will use.
    pub fn lr(&self) -> f32 {
        let total = self
            .config
            .epochs
            .saturating_mul(self.train_len.div_ceil(self.config.batch_size));
        let done = self.step as f32 / total.max(1) as f32;
        self.base_lr * self.config.schedule.factor(done)
    }

    /// Changes the base learning rate between steps.
    pub fn set_lr(&mut self, lr: f32) -> Result<()> {
        self.base_lr = crate::optim::LR.check_number(lr)?;
        Ok(())
    }

    /// The training set's size this trainer counts on.
    pub fn train_len(&self) -> usize {
        self.train_len
    }

    /// Sets the training set's size, once it is known (a streamed dataset's header says it).
    pub fn set_train_len(&mut self, train_len: usize) {
        self.train_len = train_len;
    }

    /// Changes the batch size for the epochs to come.
    pub fn set_batch_size(&mut self, batch_size: usize) -> Result<()> {
        BATCH_SIZE.check_count(batch_size)?;
        self.model.check_batch(batch_size)?;
        self.config.batch_size = batch_size;
        Ok(())
    }

    /// A new epoch, its batches drawn by a generator seeded from the trainer's; the caller adds
    /// the examples with [`Epoch::extend_to`] as they are loaded.
    pub fn epoch(&mut self) -> Epoch {
        Epoch::new(self.config.batch_size, Rng::new(self.rng.next_u64()))
    }

    /// One epoch over a fully loaded dataset; `on_step` sees each step's statistics.
    pub fn run_epoch(&mut self, data: &Examples, on_step: impl FnMut(&StepStats)) -> Result<()> {
        self.run_epoch_with(&mut [], data, on_step)
    }

    /// [`Trainer::run_epoch`], each batch shared with `peers` ([`Trainer::step_with_all`]).
    pub fn run_epoch_with(
        &mut self,
        peers: &mut [&mut dyn Peer],
        data: &Examples,
        mut on_step: impl FnMut(&StepStats),
    ) -> Result<()> {
        let mut epoch = self.epoch();
        epoch.extend_to(data.len());
        let mut batch = Vec::with_capacity(epoch.batch_size());
        while epoch.next_batch(&mut batch) {
            on_step(&self.step_with_all(peers, data, &batch)?);
        }
        Ok(())
    }

    /// One optimisation step on the examples `indices` of `data`. A loss that is not finite
    /// stops here, before the update, with an explanation.
    pub fn step(&mut self, data: &Examples, indices: &[usize]) -> Result<StepStats> {
        let stats = self.gradients(data, indices)?;
        self.update(stats)
    }

    /// One data-parallel step: `peer` computes the gradients of the batch's second half with
    /// this model's weights while this trainer computes the first's ([`Trainer::step_with_all`]).
    pub fn step_with(
        &mut self,
        peer: &mut dyn Peer,
        data: &Examples,
        indices: &[usize],
    ) -> Result<StepStats> {
        self.step_with_all(&mut [peer], data, indices)
    }

    /// One data-parallel step over `peers.len() + 1` shares of the batch: each peer computes
    /// the gradients of its share with this model's weights while this trainer computes the
    /// first's; the update uses their size-weighted mean, the full batch's gradient up to
    /// rounding. (Batch norm sees each share's own statistics, as in PyTorch's
    /// DistributedDataParallel.) A failure of a peer's is an [`Error::Peer`], and the step is
    /// not applied; one of this side's is its own error.
    pub fn step_with_all(
        &mut self,
        peers: &mut [&mut dyn Peer],
        data: &Examples,
        indices: &[usize],
    ) -> Result<StepStats> {
        // Shares as even as they come, the larger ones first (this side's the largest); the
        // i-th starts after i shares of `base` and the first `extra` shares' one more each.
        let parts = peers.len() + 1;
        let (base, extra) = (indices.len() / parts, indices.len() % parts);
        let start = |i: usize| i * base + i.min(extra);
        let share = |i: usize| &indices[start(i)..start(i + 1)];
        let own = share(0);
        let theirs = (1..parts).map(share);
        let busy = theirs.clone().filter(|s| !s.is_empty()).count();
        if busy == 0 {
            return self.step(data, indices);
        }
        // The peers' failures are told apart from this side's: the caller can go on without them.
        let peer_failed = |e: Error| Error::Peer(e.reason());
        let mut started = 0;
        let mut start_error = None;
        for (peer, share) in peers.iter_mut().zip(theirs.clone()).take(busy) {
            match peer.start(&self.model, data, share) {
                Ok(()) => started += 1,
                Err(e) => {
                    start_error = Some(peer_failed(e));
                    break;
                }
            }
        }
        let own_stats = if start_error.is_none() {
            Some(self.gradients(data, own))
        } else {
            None
        };
        // Wait for every peer that started, even when something failed, so they are idle when
        // the error returns; their gradients are summed in, weighted by their shares.
        let n = indices.len() as f32;
        let w_own = own.len() as f32 / n;
        let mut stats = StepStats {
            loss: 0.0,
            correct: 0,
            size: indices.len(),
        };
        let mut failure = start_error;
        if let Some(Ok(own)) = &own_stats {
            stats.loss = own.loss * w_own;
            stats.correct = own.correct;
            for p in self.model.params_mut() {
                p.grad.iter_mut().for_each(|g| *g *= w_own);
            }
        }
        self.peer_grads.resize(self.model.num_params(), 0.0);
        for (peer, share) in peers.iter_mut().zip(theirs).take(started) {
            let peer_stats = match peer.finish(&mut self.peer_grads) {
                Ok(s) => s,
                Err(e) => {
                    failure.get_or_insert(peer_failed(e));
                    continue;
                }
            };
            let w = share.len() as f32 / n;
            stats.loss += peer_stats.loss * w;
            stats.correct += peer_stats.correct;
            let mut offset = 0;
            for p in self.model.params_mut() {
                let g = p.grad.as_slice_mut().expect("standard layout");
                for (g, &q) in g.iter_mut().zip(&self.peer_grads[offset..]) {
                    *g += q * w;
                }
                offset += g.len();
            }
        }
        if let Some(own) = own_stats {
            own?;
        }
        match failure {
            Some(e) => Err(e),
            None => self.update(stats),
        }
    }

    /// The examples `indices` of `data` as a step takes them: gathered, shifted when the
    /// settings say so, their labels checked against the network's outputs. Both devices take
    /// their batches here, so a seeded run draws the same images on either.
    pub fn batch(&mut self, data: &Examples, indices: &[usize]) -> Result<(&[f32], &[u8])> {
        data.gather(indices, &mut self.x, &mut self.y);
        if self.config.shift > 0 {
            let shape = data.shape;
            for image in self.x.chunks_exact_mut(shape.len()) {
                random_shift(image, shape, self.config.shift, &mut self.rng);
            }
        }
        check_labels(&self.y, self.model.classes())?;
        Ok((&self.x, &self.y))
    }

    /// Forward and backward on the examples `indices` of `data`, leaving the mean loss's
    /// gradients in the model's parameters; no update. The loss may be NaN: [`Trainer::step`]
    /// is the one that refuses to apply it.
    pub fn gradients(&mut self, data: &Examples, indices: &[usize]) -> Result<StepStats> {
        self.batch(data, indices)?;
        let logits = self
            .model
            .forward_batch(&self.x, indices.len(), Mode::Train)?;
        self.dlogits.resize(logits.len(), 0.0);
        let loss = softmax_cross_entropy(
            logits,
            &self.y,
            self.config.label_smoothing,
            &mut self.dlogits,
        );
        let correct = count_correct(logits, &self.y);
        self.model.zero_grad();
        self.model.backward(&self.dlogits, false);
        Ok(StepStats {
            loss,
            correct,
            size: indices.len(),
        })
    }

    /// Why step `step` was not applied: its loss was `loss`, not a finite number.
    pub fn diverged(&self, loss: f32, step: usize) -> Error {
        Error::Diverged(format!(
            "the loss became {loss} at step {step}; the weights were not updated. Lower the learning rate (it is {:e}) and reset.",
            self.lr()
        ))
    }

    /// Counts a step another device took (the GPU path): the schedule moves on.
    #[cfg(feature = "gpu")]
    pub(crate) fn count_step(&mut self) {
        self.step += 1;
    }

    /// Applies the gradients in the model, unless the step's loss is not finite.
    fn update(&mut self, stats: StepStats) -> Result<StepStats> {
        if !stats.loss.is_finite() {
            return Err(self.diverged(stats.loss, self.step + 1));
        }
        let lr = self.lr();
        self.optimizer.set_lr(lr);
        self.optimizer.step(&mut self.model.params_mut());
        self.step += 1;
        Ok(stats)
    }
}

/// Epochs a run may last.
pub const MAX_EPOCHS: usize = 10_000;
/// The largest batch the page's memory plan is made for.
pub const MAX_BATCH: usize = 4096;

pub const EPOCHS: Field =
    Field::count("epochs", 1, Some(MAX_EPOCHS), 5).help("passes over the 60,000 training images");
pub const BATCH_SIZE: Field =
    Field::count("batch_size", 1, Some(MAX_BATCH), 64).help("images per weight update");
pub const SHIFT: Field = Field::count("shift", 0, Some(8), 0)
    .optional()
    .help("shift each training image by up to this many pixels");
pub const LABEL_SMOOTHING: Field = Field::number("label_smoothing", 0.0, Some(1.0), 0.0)
    .below_max()
    .optional()
    .help("how much of each target is spread over all digits: a model less sure of itself");
pub const SEED: Field = Field::count("seed", 0, Some(history::MAX_COUNT as usize), 0)
    .optional()
    .help("the same seed gives the same run");

/// The settings of a run that the page edits, with their ranges: these, the optimiser's rate
/// ([`crate::optim::LR`]) and its choice.
pub const FIELDS: [Field; 6] = [
    EPOCHS,
    BATCH_SIZE,
    crate::optim::LR,
    SHIFT,
    LABEL_SMOOTHING,
    SEED,
];

/// The optimiser a config asks for, once its settings are checked.
fn checked(config: &TrainConfig) -> Result<Box<dyn Optimizer>> {
    EPOCHS.check_count(config.epochs)?;
    BATCH_SIZE.check_count(config.batch_size)?;
    SHIFT.check_count(config.shift)?;
    LABEL_SMOOTHING.check_number(config.label_smoothing)?;
    SEED.check_count_u64(config.seed)?;
    config.optimizer.build()
}

/// A replica that computes part of a batch's gradients elsewhere (the page's second worker).
pub trait Peer {
    /// Starts computing the gradients of `indices` of `data` with `model`'s current weights.
    fn start(&mut self, model: &Model, data: &Examples, indices: &[usize]) -> Result<()>;
    /// Waits for them: the mean loss's gradients, flattened in [`Model::params`] order, go into
    /// `grads`.
    fn finish(&mut self, grads: &mut [f32]) -> Result<StepStats>;
}

/// The index of the largest score (the first, on ties): the predicted class.
pub(crate) fn argmax(row: &[f32]) -> usize {
    row.iter()
        .enumerate()
        .fold(0, |best, (i, &v)| if v > row[best] { i } else { best })
}

/// Every label must name one of the network's outputs.
pub(crate) fn check_labels(labels: &[u8], classes: usize) -> Result<()> {
    match labels.iter().find(|&&l| l as usize >= classes) {
        Some(l) => Err(Error::Invalid(format!(
            "label {l} has no output: the network's last layer gives {classes} scores"
        ))),
        None => Ok(()),
    }
}

fn count_correct(logits: &[f32], labels: &[u8]) -> usize {
    let k = logits.len() / labels.len().max(1);
    logits
        .chunks_exact(k)
        .zip(labels)
        .filter(|(row, &l)| argmax(row) == l as usize)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedules_move_the_rate_as_they_say() {
        let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
        for t in [0.0, 0.3, 1.0] {
            assert_eq!(Schedule::Constant.factor(t), 1.0);
        }
        let cosine = Schedule::Cosine;
        assert!(close(cosine.factor(0.0), 1.0) && close(cosine.factor(0.5), 0.5));
        assert!(close(cosine.factor(1.0), 0.0) && close(cosine.factor(2.0), 0.0));
        let one = Schedule::OneCycle;
        assert!(close(one.factor(0.0), 1.0 / 25.0));
        assert!(close(one.factor(0.125), (1.0 + 1.0 / 25.0) / 2.0));
        assert!(close(one.factor(0.25), 1.0) && close(one.factor(0.625), 0.5));
        assert!(close(one.factor(1.0), 0.0));
        // Up, then down, never past the peak.
        let f: Vec<f32> = (0..=100).map(|i| one.factor(i as f32 / 100.0)).collect();
        assert!(f[..=25].windows(2).all(|w| w[0] < w[1]));
        assert!(f[25..].windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn a_schedule_is_named_as_serde_names_it() {
        for s in Schedule::ALL {
            assert_eq!(Schedule::named(s.name()).unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.name())
            );
        }
        assert!(Schedule::named("linear")
            .unwrap_err()
            .reason()
            .contains("one_cycle"));
    }
}
