//! A training run in the page's worker, a few steps per call so the worker can answer between
//! calls; what each call did comes back as a list of events the page switches on.

use super::session::Session;
use super::{js_err, to_js};
use crate::error::Error;
use crate::train::history::{CurvePoint, EpochRecord};
use crate::train::StepStats;
use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// One thing a call to [`Session::train`] reports, as `{type: "progress", …}`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum RunEvent {
    /// Where the run stands after this call's steps (there may have been none).
    Progress(Progress),
    /// The second worker failed mid-step and was let go: the step was redone here, and the run
    /// goes on with one worker.
    ReplicaLost { reason: String },
    /// The epoch ended with this call: its record in the model's history.
    Epoch { record: EpochRecord },
    /// Fewer examples are loaded than a batch needs: call again when more have arrived.
    WaitingForData,
    /// The loss stopped being a number: the step was not applied, and going on would repeat it.
    Diverged { message: String },
    /// Any other failure of a step, which was not applied: its kind ([`Error::kind`]) and why.
    Failed { kind: &'static str, message: String },
}

/// What happened in a call, in order, before it is reported.
pub(super) enum Taken {
    Step(StepStats),
    ReplicaLost(String),
}

/// A call's steps not yet reported: when they began, what they did, whether they stopped for
/// want of data, and the failure that stopped them.
pub(super) struct Unreported {
    pub(super) started: f64,
    pub(super) taken: Vec<Taken>,
    pub(super) waiting: bool,
    pub(super) failure: Option<Error>,
}

#[derive(Serialize)]
struct Progress {
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
    lr: f32,
    /// Steps the model has had, across runs.
    total_steps: u64,
    /// The history's curve points added by this call; with `redraw`, the whole curve (a long
    /// history was thinned and is drawn again).
    points: Vec<CurvePoint>,
    redraw: bool,
}

/// Seconds since some fixed moment (the page's clock: wasm has none of its own).
pub(super) fn now_seconds() -> f64 {
    js_sys::Date::now() / 1000.0
}

#[wasm_bindgen]
impl Session {
    /// Up to `max_steps` training steps on the session's device; stops early at the end of an
    /// epoch (the next call starts the next one), when the loaded data runs short, or at a
    /// failure. Resolves once they are done (at once on the CPU; on the GPU once it has done them
    /// and the CPU copy's weights are read back, see [`super::device`]); [`Session::report`]
    /// then says what they did.
    pub fn train(&mut self, max_steps: u32) -> Result<Promise, JsValue> {
        #[cfg(feature = "gpu")]
        if self.on_gpu() {
            return self.train_on_gpu(max_steps);
        }
        self.unreported = Some(self.train_here(max_steps));
        Ok(Promise::resolve(&JsValue::UNDEFINED))
    }

    /// The last [`Session::train`]'s steps, once its promise resolved: each into the model's
    /// history, and the events of [`RunEvent`] in the order they happened. None (an empty list)
    /// when the run changed meanwhile (a new model, new settings).
    pub fn report(&mut self) -> Result<JsValue, JsValue> {
        #[cfg(feature = "gpu")]
        if self.on_gpu() {
            return match self.unreported_on_gpu()? {
                Some(unreported) => self.events(unreported),
                None => Ok(js_sys::Array::new().into()),
            };
        }
        match self.unreported.take() {
            Some(unreported) => self.events(unreported),
            None => Ok(js_sys::Array::new().into()),
        }
    }
}

impl Session {
    /// [`Session::train`] on the CPU (with the replica's help when there is one).
    fn train_here(&mut self, max_steps: u32) -> Unreported {
        let started = now_seconds();
        let mut taken = Vec::new();
        let mut failure = None;
        let waiting = self.next_batches(max_steps, |session| {
            let stats = match &mut session.replica {
                Some(peer) => {
                    match session
                        .trainer
                        .step_with(peer, &session.train.data, &session.batch)
                    {
                        Err(Error::Peer(reason)) => {
                            // The step was not applied: this batch and the rest go on alone.
                            taken.push(Taken::ReplicaLost(reason));
                            session.detach_replica();
                            session.trainer.step(&session.train.data, &session.batch)
                        }
                        result => result,
                    }
                }
                None => session.trainer.step(&session.train.data, &session.batch),
            };
            match stats {
                Ok(stats) => {
                    taken.push(Taken::Step(stats));
                    true
                }
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        });
        Unreported {
            started,
            taken,
            waiting,
            failure,
        }
    }

    /// Draws up to `max_steps` batches into `self.batch`, calling `step` on each until it says
    /// stop: not at the end of the epoch, nor beyond the data loaded so far. Whether it stopped
    /// for want of data.
    pub(super) fn next_batches(
        &mut self,
        max_steps: u32,
        mut step: impl FnMut(&mut Session) -> bool,
    ) -> bool {
        let batch_size = self.trainer.config().batch_size;
        for _ in 0..max_steps {
            if self.epoch.remaining() < batch_size && !self.train.complete {
                return true;
            }
            if !self.epoch.next_batch(&mut self.batch) || !step(self) {
                break;
            }
        }
        false
    }

    /// What a call's steps did, as events: each step into the model's history, the progress,
    /// a replica let go, a failure, the end of the epoch, the want of data.
    pub(super) fn events(&mut self, unreported: Unreported) -> Result<JsValue, JsValue> {
        let Unreported {
            started,
            taken,
            waiting,
            failure,
        } = unreported;
        let total = if self.train.complete {
            self.train.data.len()
        } else {
            self.trainer.train_len()
        };
        let curve_before = self.history.curve.len();
        if !taken.is_empty() {
            self.history
                .trained_on(&self.about.name, &self.about.classes);
        }
        let mut events = Vec::new();
        let (mut steps, mut correct, mut seen, mut loss_sum) = (0, 0, 0, 0.0f64);
        for t in taken {
            let stats = match t {
                Taken::Step(stats) => stats,
                Taken::ReplicaLost(reason) => {
                    events.push(RunEvent::ReplicaLost { reason });
                    continue;
                }
            };
            self.evaluation = None;
            loss_sum += stats.loss as f64 * stats.size as f64;
            steps += 1;
            correct += stats.correct;
            seen += stats.size;
            self.epoch_seen += stats.size;
            self.history
                .record_step(&stats, self.epoch_seen as f64 / total.max(1) as f64);
        }
        // The time of the steps that did run counts, even when one failed.
        self.history.add_seconds(now_seconds() - started);
        let (points, redraw) = match self.history.curve.get(curve_before..) {
            Some(new) => (new.to_vec(), false),
            None => (self.history.curve.clone(), true),
        };
        events.push(RunEvent::Progress(Progress {
            steps,
            loss: if seen > 0 {
                (loss_sum / seen as f64) as f32
            } else {
                f32::NAN
            },
            correct,
            seen,
            epoch: self.epoch_index,
            epoch_progress: self.epoch_seen as f64 / total.max(1) as f64,
            epoch_images: total,
            lr: self.trainer.lr(),
            total_steps: self.history.steps,
            points,
            redraw,
        }));
        if let Some(e) = failure {
            events.push(match e {
                Error::Diverged(message) => RunEvent::Diverged { message },
                e => RunEvent::Failed {
                    kind: e.kind(),
                    message: e.reason(),
                },
            });
            return to_js(&events);
        }
        if self.train.complete && self.epoch.remaining() == 0 && self.epoch_seen > 0 {
            self.history.end_epoch();
            if let Some(record) = self.history.epochs.last().cloned() {
                events.push(RunEvent::Epoch { record });
            }
            self.epoch_index += 1;
            self.epoch_seen = 0;
            self.epoch = self.trainer.epoch();
            self.epoch.extend_to(self.train.data.len());
        }
        if waiting {
            events.push(RunEvent::WaitingForData);
        }
        to_js(&events)
    }

    /// Changes the learning rate from the next step.
    pub fn set_lr(&mut self, lr: f32) -> Result<(), JsValue> {
        self.trainer.set_lr(lr).map_err(js_err)
    }

    /// Takes effect from the next epoch.
    pub fn set_batch_size(&mut self, batch_size: u32) -> Result<(), JsValue> {
        self.trainer
            .set_batch_size(batch_size as usize)
            .map_err(js_err)
    }
}
