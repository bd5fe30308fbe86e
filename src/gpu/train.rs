//! Training on the GPU: the CPU [`Trainer`] keeps the settings, the schedule, the shuffling (so
//! a seeded run draws the same batches on either device) and the CPU copy of the model; the GPU
//! computes the step — the forward and backward passes and the optimiser's update — with the
//! weights, gradients and optimiser state resident there. Only the losses come back, a few
//! steps' at a time. A [`GpuTrainer`] serves one run of one trainer: a new run (new settings,
//! another model) gets a new one.

use super::device::{line_groups, Dispatch, Gpu};
use super::kernel::{optim, u};
use super::model::GpuModel;
use crate::data::Examples;
use crate::error::{Error, Result};
use crate::optim::{adam, OptimizerSpec};
use crate::train::{StepStats, Trainer};
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

/// What [`GpuTrainer::read_back`] reads: the steps' (loss, correct) pairs, and the weights and
/// buffers as they are after them.
pub struct Readings {
    pub log: Vec<f32>,
    pub weights: Vec<f32>,
}

pub struct GpuTrainer {
    model: GpuModel,
    /// The optimiser's state: Adam's moments, or SGD's momentum in `m`.
    m: wgpu::Buffer,
    v: wgpu::Buffer,
    /// Updates done (Adam's t).
    t: u32,
    /// The update's launches for each batch size (they read that size's loss): the guard that
    /// halts the updates at a loss that is not finite, and the update.
    updates: HashMap<usize, [Dispatch; 2]>,
    /// Set by the guard: no update is applied after a loss that was not finite.
    halt: wgpu::Buffer,
    /// Each step's mean loss and number correct, until [`GpuTrainer::drain`] reads them.
    log: wgpu::Buffer,
    /// The batch sizes of the steps in the log.
    pending: Vec<usize>,
}

/// The most steps the log holds between two reads.
pub const LOG_STEPS: usize = 256;
/// Steps between reads in [`GpuTrainer::run_epoch`].
pub const READ_EVERY: usize = 16;

impl GpuTrainer {
    /// `trainer`'s model on `gpu`, with a new optimiser state.
    pub fn new(gpu: Rc<Gpu>, trainer: &Trainer) -> Result<Self> {
        let model = GpuModel::new(gpu.clone(), &trainer.model)?;
        let len = model.num_params();
        Ok(GpuTrainer {
            m: gpu.buffer("first moments", len),
            v: gpu.buffer("second moments", len),
            model,
            t: 0,
            updates: HashMap::new(),
            halt: gpu.buffer("halt", 1),
            log: gpu.buffer("losses", 2 * LOG_STEPS),
            pending: Vec::new(),
        })
    }

    pub fn gpu(&self) -> &Rc<Gpu> {
        self.model.gpu()
    }

    /// The model as it is on the GPU, between steps: for predictions and inspection.
    pub fn model_mut(&mut self) -> &mut GpuModel {
        &mut self.model
    }

    /// The update's arguments for the next step, at learning rate `lr`.
    fn update_args(&self, optimizer: &OptimizerSpec, lr: f32, batch: usize) -> optim::Args {
        let args = optim::Args {
            len: u(self.model.num_params()),
            lr,
            loss_at: u(2 * batch),
            ..Default::default()
        };
        match *optimizer {
            OptimizerSpec::Adam {
                betas,
                eps,
                weight_decay,
                ..
            } => {
                let (step_size, bc2_sqrt) = adam::corrections(lr, betas, self.t);
                optim::Args {
                    beta1: betas.0,
                    beta2: betas.1,
                    eps,
                    weight_decay,
                    step_size,
                    bc2_sqrt,
                    ..args
                }
            }
            OptimizerSpec::Sgd {
                momentum,
                weight_decay,
                nesterov,
                ..
            } => optim::Args {
                weight_decay,
                momentum,
                nesterov: nesterov as u32,
                started: (self.t > 1) as u32,
                ..args
            },
        }
    }

    /// One optimisation step on the examples `indices` of `data`, submitted to the GPU; it
    /// does not wait for the GPU. Its loss is logged there, and [`GpuTrainer::drain`] reads the
    /// logged steps back — at least every [`LOG_STEPS`] steps.
    pub fn step(
        &mut self,
        trainer: &mut Trainer,
        data: &Examples,
        indices: &[usize],
    ) -> Result<()> {
        if self.pending.len() == LOG_STEPS {
            return Err(Error::Invalid(format!(
                "{LOG_STEPS} GPU steps were taken without reading their losses back"
            )));
        }
        let batch = indices.len();
        let lr = trainer.lr();
        let gpu = self.model.gpu().clone();
        let mut encoder = gpu.encoder();
        let smoothing = trainer.config().label_smoothing;
        let (x, y) = trainer.batch(data, indices)?;
        self.model.record_gradients(&mut encoder, x, y, smoothing)?;
        self.t += 1;
        let optimizer = &trainer.config().optimizer;
        let args = self.update_args(optimizer, lr, batch);
        let rows = self.model.program(batch)?.rows.clone();
        if !self.updates.contains_key(&batch) {
            let entry = match optimizer {
                OptimizerSpec::Adam { .. } => "adam",
                OptimizerSpec::Sgd { .. } => "sgd",
            };
            let buffers = optim::Buffers {
                grads: Some(&self.model.grads),
                rows: Some(&rows),
                params: Some(&self.model.params),
                m: Some(&self.m),
                v: Some(&self.v),
                halt: Some(&self.halt),
            };
            let guard = gpu.dispatch(optim::entry("guard"), &args, buffers, (1, 1, 1));
            let update = gpu.dispatch(
                optim::entry(entry),
                &args,
                buffers,
                line_groups(self.model.num_params()),
            );
            self.updates.insert(batch, [guard, update]);
        }
        let [guard, update] = &self.updates[&batch];
        gpu.set_args(guard, &args);
        gpu.set_args(update, &args);
        Gpu::record(&mut encoder, [guard, update]);
        // The step's mean loss and number correct, into the log.
        let slot = 2 * self.pending.len() as u64;
        encoder.copy_buffer_to_buffer(&rows, 4 * 2 * batch as u64, &self.log, 4 * slot, 8);
        gpu.submit(encoder)?;
        trainer.count_step();
        self.pending.push(batch);
        Ok(())
    }

    /// The statistics of the steps taken since the last call, once the GPU has done them. An
    /// [`crate::Error::Diverged`] when a loss was not finite: that step's update and every
    /// later one were not applied.
    pub async fn drain(&mut self, trainer: &Trainer) -> Result<Vec<StepStats>> {
        let sizes = std::mem::take(&mut self.pending);
        let log = match sizes.len() {
            0 => Vec::new(),
            n => self.model.gpu().read(&self.log, 0..2 * n).await?,
        };
        Self::stats(trainer, &sizes, &log)
    }

    /// [`GpuTrainer::drain`] and [`GpuTrainer::download`] in one wait, for a caller that cannot
    /// lend itself across it (the page's session, which keeps its CPU copy in step so): the
    /// logged steps' batch sizes, and the read-back of their (loss, correct) pairs and of the
    /// model's weights and buffers (for [`GpuTrainer::set_weights`]), which owns what it needs.
    pub fn read_back(&mut self) -> (Vec<usize>, impl Future<Output = Result<Readings>> + 'static) {
        let sizes = std::mem::take(&mut self.pending);
        let gpu = self.model.gpu().clone();
        let mut parts = vec![(&self.log, 0..2 * sizes.len())];
        parts.extend(self.model.weight_parts());
        let read = gpu.read_back(gpu.encoder(), &parts);
        (sizes, async move {
            let mut parts = read.await?.into_iter();
            let log = parts.next().expect("the log was asked for");
            Ok(Readings {
                log,
                weights: parts.flatten().collect(),
            })
        })
    }

    /// The steps' statistics from their batch sizes and the log read back; the latest step was
    /// `trainer`'s last.
    pub fn stats(trainer: &Trainer, sizes: &[usize], log: &[f32]) -> Result<Vec<StepStats>> {
        let first = trainer.steps_done() - sizes.len();
        let mut stats = Vec::with_capacity(sizes.len());
        for (i, (&size, pair)) in sizes.iter().zip(log.chunks_exact(2)).enumerate() {
            if !pair[0].is_finite() {
                return Err(trainer.diverged(pair[0], first + i + 1));
            }
            stats.push(StepStats {
                loss: pair[0],
                correct: pair[1] as usize,
                size,
            });
        }
        Ok(stats)
    }

    /// One epoch over `data`; `on_step` sees each step's statistics as they are read back
    /// (every [`READ_EVERY`] steps, so the GPU is never left waiting for the host).
    pub async fn run_epoch(
        &mut self,
        trainer: &mut Trainer,
        data: &Examples,
        mut on_step: impl FnMut(&StepStats),
    ) -> Result<()> {
        let mut epoch = trainer.epoch();
        epoch.extend_to(data.len());
        let mut batch = Vec::with_capacity(epoch.batch_size());
        loop {
            let more = epoch.next_batch(&mut batch);
            if more {
                self.step(trainer, data, &batch)?;
            }
            if !more || self.pending.len() == READ_EVERY {
                self.drain(trainer).await?.iter().for_each(&mut on_step);
            }
            if !more {
                return Ok(());
            }
        }
    }

    /// Copies the GPU's current weights into `trainer`'s model.
    pub async fn download(&self, trainer: &mut Trainer) -> Result<()> {
        self.model.download(&mut trainer.model).await
    }

    /// Puts [`Readings::weights`] into `model` (the same network).
    pub fn set_weights(&self, model: &mut crate::nn::Model, values: &[f32]) -> Result<()> {
        self.model.set_weights(model, values)
    }
}
