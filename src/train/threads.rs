//! Data-parallel training on native threads (`cnn-playground train --threads N`): each
//! [`ThreadPeer`] holds a copy of the network in a thread of its own and computes its share of
//! every batch, as the page's replica worker does in the browser ([`Trainer::step_with_all`]).

use super::{Peer, StepStats, TrainConfig, Trainer};
use crate::data::Examples;
use crate::error::{Error, Result};
use crate::nn::Model;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::{Scope, ScopedJoinHandle};

/// A share of a batch to compute: the weights to compute it with and which examples; the thread
/// writes the share's gradients into `grads`, flattened in [`Model::params`] order. The buffers
/// go back and forth, reused from step to step.
struct Job {
    weights: Vec<f32>,
    indices: Vec<usize>,
    grads: Vec<f32>,
}

/// What comes back: the share's statistics (or why not), and the job with its gradients.
struct Answer {
    result: Result<StepStats>,
    job: Job,
}

/// A peer in a scoped thread, bound to the one dataset it was started for.
pub struct ThreadPeer<'scope, 'env> {
    data: &'env Examples,
    jobs: Sender<Job>,
    answers: Receiver<Answer>,
    /// The buffers of the last job, reused.
    spare: Option<Job>,
    _thread: ScopedJoinHandle<'scope, ()>,
}

impl<'scope, 'env> ThreadPeer<'scope, 'env> {
    /// A thread in `scope` training a copy of `model`'s network on `data` with `config`,
    /// computing with the same kernels; its augmentation and dropout draw from `seed`. It ends
    /// when the peer is dropped.
    pub fn spawn(
        scope: &'scope Scope<'scope, 'env>,
        model: &Model,
        config: &TrainConfig,
        data: &'env Examples,
        seed: u64,
    ) -> Self {
        let (jobs, job_rx) = channel::<Job>();
        let (answer_tx, answers) = channel();
        let (spec, kernels, config) = (
            model.spec().clone(),
            model.kernels(),
            TrainConfig {
                seed,
                ..config.clone()
            },
        );
        let thread = scope.spawn(move || {
            let mut trainer = Model::new(&spec, 0).and_then(|mut m| {
                m.set_kernels(kernels);
                Trainer::new(m, config, data.len())
            });
            for mut job in job_rx {
                let result = match &mut trainer {
                    // A panic (a bug) is this thread's failure, told to the trainer, never the
                    // scope's: the thread answers every later job with it.
                    Ok(t) => match catch_unwind(AssertUnwindSafe(|| compute(t, data, &mut job))) {
                        Ok(result) => result,
                        Err(_) => {
                            trainer = Err(Error::Invalid("it panicked".into()));
                            Err(Error::Invalid("a training thread panicked".into()))
                        }
                    },
                    Err(e) => Err(Error::Invalid(format!(
                        "a training thread failed: {}",
                        e.reason()
                    ))),
                };
                if answer_tx.send(Answer { result, job }).is_err() {
                    return;
                }
            }
        });
        ThreadPeer {
            data,
            jobs,
            answers,
            spare: None,
            _thread: thread,
        }
    }
}

/// A share's gradients with the weights the job carries, into the job.
fn compute(trainer: &mut Trainer, data: &Examples, job: &mut Job) -> Result<StepStats> {
    let mut at = 0;
    for p in trainer.model.params_mut() {
        let value = p.value.as_slice_mut().expect("standard layout");
        value.copy_from_slice(&job.weights[at..at + value.len()]);
        at += value.len();
    }
    let stats = trainer.gradients(data, &job.indices)?;
    job.grads.clear();
    job.grads
        .extend(trainer.model.params().flat_map(|p| p.grad.iter().copied()));
    Ok(stats)
}

impl Peer for ThreadPeer<'_, '_> {
    fn start(&mut self, model: &Model, data: &Examples, indices: &[usize]) -> Result<()> {
        if !std::ptr::eq(data, self.data) {
            return Err(Error::Invalid(
                "a training thread computes on the dataset it was started for".into(),
            ));
        }
        let mut job = self.spare.take().unwrap_or(Job {
            weights: Vec::new(),
            indices: Vec::new(),
            grads: Vec::new(),
        });
        job.weights.clear();
        job.weights
            .extend(model.params().flat_map(|p| p.value.iter().copied()));
        job.indices.clear();
        job.indices.extend_from_slice(indices);
        self.jobs
            .send(job)
            .map_err(|_| Error::Invalid("a training thread is gone".into()))
    }

    fn finish(&mut self, grads: &mut [f32]) -> Result<StepStats> {
        let answer = self
            .answers
            .recv()
            .map_err(|_| Error::Invalid("a training thread stopped".into()))?;
        let stats = answer.result;
        if stats.is_ok() {
            grads.copy_from_slice(&answer.job.grads);
        }
        self.spare = Some(answer.job);
        stats
    }
}
