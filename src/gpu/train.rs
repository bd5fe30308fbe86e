//! Training on the GPU: the CPU [`Trainer`] keeps the settings, the schedule and the shuffling
//! (so a seeded run draws the same batches on either device), the GPU computes the step — the
//! forward and backward passes and the optimiser's update — with the weights, gradients and
//! optimiser state resident there. Only the loss comes back.

use super::device::{line_groups, Dispatch, Gpu};
use super::kernel::{Args, OPTIM};
use super::model::GpuModel;
use crate::data::Dataset;
use crate::error::Result;
use crate::nn::Model;
use crate::optim::{adam, OptimizerSpec};
use crate::train::{StepStats, Trainer};
use std::collections::HashMap;
use std::rc::Rc;

pub struct GpuTrainer {
    /// The run's settings, schedule and batches, and the CPU copy of the model
    /// ([`GpuTrainer::model`] brings it up to date).
    pub trainer: Trainer,
    model: GpuModel,
    /// The optimiser's state: Adam's moments, or SGD's momentum in `m`.
    m: wgpu::Buffer,
    v: wgpu::Buffer,
    /// Updates done (Adam's t).
    t: u32,
    /// The update's launch for each batch size (it reads that size's loss).
    updates: HashMap<usize, Dispatch>,
    /// The batch size of the last step, whose loss [`GpuTrainer::stats`] reads.
    last: usize,
}

impl GpuTrainer {
    /// Moves `trainer`'s model onto `gpu`; the run goes on from the trainer's state.
    pub fn new(gpu: Rc<Gpu>, trainer: Trainer) -> Result<Self> {
        let model = GpuModel::new(gpu.clone(), &trainer.model)?;
        let len = model.num_params();
        Ok(GpuTrainer {
            m: gpu.buffer("first moments", len),
            v: gpu.buffer("second moments", len),
            model,
            trainer,
            t: 0,
            updates: HashMap::new(),
            last: 0,
        })
    }

    pub fn gpu(&self) -> &Rc<Gpu> {
        self.model.gpu()
    }

    /// The update's arguments for the next step, at learning rate `lr`.
    fn update_args(&self, lr: f32, batch: usize) -> Args {
        let args = Args::new().u(self.model.num_params()).f(lr);
        match self.trainer.config().optimizer {
            OptimizerSpec::Adam {
                betas,
                eps,
                weight_decay,
                ..
            } => {
                let (step_size, bc2_sqrt) = adam::corrections(lr, betas, self.t);
                args.f(betas.0)
                    .f(betas.1)
                    .f(eps)
                    .f(weight_decay)
                    .f(step_size)
                    .f(bc2_sqrt)
                    .f(0.0)
                    .u(0)
                    .u(0)
                    .u(2 * batch)
            }
            OptimizerSpec::Sgd {
                momentum,
                weight_decay,
                nesterov,
                ..
            } => args
                .f(0.0)
                .f(0.0)
                .f(0.0)
                .f(weight_decay)
                .f(0.0)
                .f(0.0)
                .f(momentum)
                .u(nesterov as usize)
                .u((self.t > 1) as usize)
                .u(2 * batch),
        }
    }

    /// One optimisation step on the examples `indices` of `data`, submitted to the GPU; it
    /// does not wait for the result. A step whose loss is not finite leaves the weights as
    /// they were, and [`GpuTrainer::stats`] says so.
    pub async fn step(&mut self, data: &Dataset, indices: &[usize]) -> Result<()> {
        let batch = indices.len();
        let lr = self.trainer.lr();
        let gpu = self.model.gpu().clone();
        let mut encoder = gpu.encoder();
        let (x, y) = self.trainer.batch(data, indices)?;
        let (x, y) = (x.to_vec(), y.to_vec());
        gpu.checked(|| self.model.record_gradients(&mut encoder, &x, &y))
            .await??;
        self.t += 1;
        let args = self.update_args(lr, batch);
        if !self.updates.contains_key(&batch) {
            let rows = self.model.program(batch)?.rows.clone();
            let entry = match self.trainer.config().optimizer {
                OptimizerSpec::Adam { .. } => "adam",
                OptimizerSpec::Sgd { .. } => "sgd",
            };
            let update = gpu
                .checked(|| {
                    gpu.dispatch(
                        OPTIM.entry(entry),
                        args,
                        &[
                            Some(&self.model.grads),
                            Some(&rows),
                            Some(&self.model.params),
                            Some(&self.m),
                            Some(&self.v),
                        ],
                        line_groups(self.model.num_params()),
                    )
                })
                .await?;
            self.updates.insert(batch, update);
        }
        let update = &self.updates[&batch];
        gpu.set_args(update, args);
        Gpu::record(&mut encoder, [update]);
        gpu.submit(encoder);
        self.trainer.count_step();
        self.last = batch;
        Ok(())
    }

    /// The last step's loss and number correct, once the GPU has computed them; an
    /// [`crate::Error::Diverged`] when the loss is not finite (that update was not applied).
    pub async fn stats(&self) -> Result<StepStats> {
        let stats = self.model.stats(self.last).await?;
        if !stats.loss.is_finite() {
            return Err(self.trainer.diverged(stats.loss, self.trainer.steps_done()));
        }
        Ok(stats)
    }

    /// One epoch over `data`, each step's statistics passed to `on_step` as it is read back.
    pub async fn run_epoch(
        &mut self,
        data: &Dataset,
        mut on_step: impl FnMut(&StepStats),
    ) -> Result<()> {
        let mut epoch = self.trainer.epoch();
        epoch.extend_to(data.len());
        let mut batch = Vec::with_capacity(epoch.batch_size());
        while epoch.next_batch(&mut batch) {
            self.step(data, &batch).await?;
            on_step(&self.stats().await?);
        }
        Ok(())
    }

    /// The CPU copy of the model, with the GPU's current weights.
    pub async fn model(&mut self) -> Result<&mut Model> {
        self.model.download(&mut self.trainer.model).await?;
        Ok(&mut self.trainer.model)
    }
}
