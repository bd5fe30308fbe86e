//! A network on the GPU: its parameters, their gradients and its buffers (batch norm's running
//! statistics) each in one arena, laid out in the CPU model's order; and for each batch size a
//! program, every layer's launches recorded once and replayed at each step. It predicts and
//! explains on the GPU too ([`GpuModel::infer`], [`GpuModel::inspect`]). The CPU [`Model`] stays
//! the description and the copy that is saved; weights move between them with
//! [`GpuModel::upload`] and [`GpuModel::download`].

use super::device::{line_groups, Gpu};
use super::kernel::{loss, u};
use super::layers::{GpuLayer, Io, Place, Step};
use crate::error::{Error, Result};
use crate::nn::plan::Plan;
use crate::nn::{Mode, Model, ModelSpec};
use crate::train::StepStats;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

/// A tensor's place in an arena: its full name, offset and length in floats.
struct Slot {
    name: String,
    offset: usize,
    len: usize,
}

/// The floats an arena of `slots` holds.
fn arena_len(slots: &[Slot]) -> usize {
    slots.last().map_or(0, |s| s.offset + s.len)
}

/// Every buffer and launch of one batch size.
pub(crate) struct Program {
    /// `acts[0]` is the input, `acts[i + 1]` layer i's output (a view shares its input's).
    acts: Vec<wgpu::Buffer>,
    /// dL/dy and dL/dx, swapped from layer to layer.
    grad: [wgpu::Buffer; 2],
    labels: wgpu::Buffer,
    /// Per row (loss, correct), then the mean loss and the number correct.
    pub(crate) rows: wgpu::Buffer,
    own: Vec<wgpu::Buffer>,
    forward: HashMap<Mode, Vec<Step>>,
    loss: Vec<Step>,
    /// For explaining: dL/dlogits set to the top class's one-hot, so that the backward pass
    /// gives ∂ top logit / ∂ input.
    explain: Step,
    /// By mode and whether dL/dinput is wanted; and which buffer that ends in.
    backward: HashMap<(Mode, bool), (Vec<Step>, usize)>,
    cols: wgpu::Buffer,
    dcols: wgpu::Buffer,
    tmp: wgpu::Buffer,
    partial: wgpu::Buffer,
}

/// What [`GpuModel::inspect`] reads back.
pub struct Inspection {
    pub logits: Vec<f32>,
    /// |∂ top logit / ∂ input|, as the CPU model's saliency.
    pub saliency: Vec<f32>,
    /// Every layer's output, in order.
    pub outputs: Vec<Vec<f32>>,
    /// The parameters asked for, in order.
    pub params: Vec<Vec<f32>>,
}

pub struct GpuModel {
    gpu: Rc<Gpu>,
    spec: ModelSpec,
    plan: Plan,
    layers: Vec<Box<dyn GpuLayer>>,
    pub(crate) params: wgpu::Buffer,
    pub(crate) grads: wgpu::Buffer,
    buffers: wgpu::Buffer,
    param_slots: Vec<Slot>,
    buffer_slots: Vec<Slot>,
    programs: HashMap<usize, Program>,
}

impl GpuModel {
    /// `model`'s network and weights on `gpu`. Dropout's masks are drawn from the model's seed
    /// as the CPU layers draw theirs (a fresh stream: the CPU layers' may have moved on).
    pub fn new(gpu: Rc<Gpu>, model: &Model) -> Result<Self> {
        let seed = model.seed();
        let spec = model.spec().clone();
        let plan = Plan::new(&spec)?;
        let slots = |tensors: Vec<(String, usize)>| {
            let mut offset = 0;
            tensors
                .into_iter()
                .map(|(name, len)| {
                    let slot = Slot { name, offset, len };
                    offset += len;
                    slot
                })
                .collect::<Vec<_>>()
        };
        let param_slots = slots(
            model
                .named_params()
                .into_iter()
                .map(|(n, p)| (n, p.value.len()))
                .collect(),
        );
        let buffer_slots = slots(
            model
                .named_buffers()
                .into_iter()
                .map(|(n, b)| (n, b.value.len()))
                .collect(),
        );
        let (param_len, buffer_len) = (arena_len(&param_slots), arena_len(&buffer_slots));
        if param_len > gpu.max_floats() {
            return Err(Error::Gpu(format!(
                "its {param_len} parameters do not fit one buffer of the GPU {} ({} at most)",
                gpu.info().name,
                gpu.max_floats()
            )));
        }
        let mut layers = Vec::with_capacity(spec.layers.len());
        let mut input = spec.input.to_vec();
        for (i, (layer, planned)) in spec.layers.iter().zip(&plan.layers).enumerate() {
            let find = |slots: &[Slot], local: &str| {
                let name = format!("{}.{local}", planned.name);
                slots.iter().find(|s| s.name == name).map(|s| s.offset)
            };
            let offset =
                |local: &str| find(&param_slots, local).or_else(|| find(&buffer_slots, local));
            layers.push(layer.gpu(&Place {
                input: &input,
                seed,
                index: i,
                offset: &offset,
            })?);
            input.clone_from(&planned.sizes.output_shape);
        }
        let gpu_model = GpuModel {
            params: gpu.buffer("parameters", param_len),
            grads: gpu.buffer("gradients", param_len),
            buffers: gpu.buffer("buffers", buffer_len),
            gpu,
            spec,
            plan,
            layers,
            param_slots,
            buffer_slots,
            programs: HashMap::new(),
        };
        gpu_model.upload(model);
        Ok(gpu_model)
    }

    pub fn gpu(&self) -> &Rc<Gpu> {
        &self.gpu
    }

    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// The number of parameter values (the arenas' length).
    pub fn num_params(&self) -> usize {
        arena_len(&self.param_slots)
    }

    /// Copies `model`'s weights and buffers (the same network) to the GPU.
    pub fn upload(&self, model: &Model) {
        for ((_, p), slot) in model.named_params().iter().zip(&self.param_slots) {
            let values = p.value.as_slice().expect("standard layout");
            self.gpu.write(&self.params, slot.offset, values);
        }
        for ((_, b), slot) in model.named_buffers().iter().zip(&self.buffer_slots) {
            let values = b.value.as_slice().expect("standard layout");
            self.gpu.write(&self.buffers, slot.offset, values);
        }
    }

    /// Copies the GPU's weights and buffers into `model` (the same network).
    pub async fn download(&self, model: &mut Model) -> Result<()> {
        let values = self.weights().await?;
        self.set_weights(model, &values)
    }

    /// Reads the parameters and buffers back in one wait, for [`GpuModel::set_weights`]; the
    /// future owns what it needs.
    pub fn weights(&self) -> impl Future<Output = Result<Vec<f32>>> + 'static {
        let read = self.gpu.read_back(self.gpu.encoder(), &self.weight_parts());
        async move { Ok(read.await?.concat()) }
    }

    /// Where the weights and buffers lie, as a read-back takes them: their values, concatenated,
    /// are what [`GpuModel::set_weights`] takes.
    pub(crate) fn weight_parts(&self) -> [(&wgpu::Buffer, std::ops::Range<usize>); 2] {
        [
            (&self.params, 0..self.num_params()),
            (&self.buffers, 0..self.buffer_len()),
        ]
    }

    /// Puts [`GpuModel::weights`]' values into `model` (the same network).
    pub fn set_weights(&self, model: &mut Model, values: &[f32]) -> Result<()> {
        let param_len = self.num_params();
        if values.len() != param_len + self.buffer_len() {
            return Err(crate::shape_err!(
                "{} values read back for a model of {} parameters and {} buffer values",
                values.len(),
                param_len,
                self.buffer_len()
            ));
        }
        let (params, buffers) = values.split_at(param_len);
        for (p, slot) in model.params_mut().zip(&self.param_slots) {
            let values = p.value.as_slice_mut().expect("standard layout");
            values.copy_from_slice(&params[slot.offset..slot.offset + slot.len]);
        }
        for slot in &self.buffer_slots {
            let value = model
                .tensor_mut(&slot.name)
                .expect("the GPU model mirrors the CPU model's buffers");
            let values = value.as_slice_mut().expect("standard layout");
            values.copy_from_slice(&buffers[slot.offset..slot.offset + slot.len]);
        }
        Ok(())
    }

    fn buffer_len(&self) -> usize {
        arena_len(&self.buffer_slots)
    }

    /// The gradients of the last backward pass, in [`Model::params`] order, flattened.
    pub async fn read_grads(&self) -> Result<Vec<f32>> {
        self.gpu.read(&self.grads, 0..self.num_params()).await
    }

    /// Where parameter `name` lies in the parameters' arena.
    fn param_range(&self, name: &str) -> Result<std::ops::Range<usize>> {
        self.param_slots
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.offset..s.offset + s.len)
            .ok_or_else(|| Error::Invalid(format!("the model has no parameter '{name}'")))
    }

    /// The program for `batch` inputs, built the first time: every size checked against the
    /// memory plan and this GPU's largest buffer first.
    pub(crate) fn program(&mut self, batch: usize) -> Result<&mut Program> {
        if !self.programs.contains_key(&batch) {
            let program = self.build(batch)?;
            self.programs.insert(batch, program);
        }
        Ok(self.programs.get_mut(&batch).expect("just built"))
    }

    fn build(&self, batch: usize) -> Result<Program> {
        if batch == 0 {
            return Err(crate::shape_err!("a batch of no inputs"));
        }
        self.plan.check_batch(batch)?;
        let gpu = &self.gpu;
        let per_sample: Vec<usize> = std::iter::once(self.plan.input_len)
            .chain(self.plan.layers.iter().map(|l| l.output_len))
            .collect();
        let largest = per_sample.iter().max().copied().unwrap_or(0) * batch;
        let (mut cols, mut tmp, mut partial) = (0, 0, 0);
        for s in self.layers.iter().map(|l| l.scratch(batch)) {
            (cols, tmp, partial) = (cols.max(s.cols), tmp.max(s.tmp), partial.max(s.partial));
        }
        let needed = largest.max(cols).max(tmp).max(partial);
        if needed > gpu.max_floats() {
            return Err(Error::Gpu(format!(
                "a batch of {batch} needs a buffer of {} MB, more than the GPU {} allows ({} MB): take a smaller batch",
                (needed * 4) >> 20,
                gpu.info().name,
                (gpu.max_floats() * 4) >> 20
            )));
        }
        let mut acts = vec![gpu.buffer("input", batch * self.plan.input_len)];
        for (layer, l) in self.layers.iter().zip(&self.plan.layers) {
            let buffer = if layer.is_view() {
                acts.last().expect("the input comes first").clone()
            } else {
                gpu.buffer(&l.name, batch * l.output_len)
            };
            acts.push(buffer);
        }
        let own = self
            .layers
            .iter()
            .zip(&self.plan.layers)
            .map(|(layer, l)| gpu.buffer(&l.name, layer.own_len(batch, l.output_len)))
            .collect();
        let classes = self.plan.classes();
        let labels = gpu.buffer("labels", batch);
        let rows = gpu.buffer("rows", 2 * batch + 2);
        let grad = [gpu.buffer("dy", largest), gpu.buffer("dx", largest)];
        let loss_buffers = loss::Buffers {
            logits: Some(&acts[self.layers.len()]),
            labels: Some(&labels),
            dlogits: Some(&grad[0]),
            rows: Some(&rows),
        };
        let loss_args = loss::Args {
            rows: u(batch),
            classes: u(classes),
            smoothing: 0.0,
        };
        let explain = Step::Run(gpu.dispatch(
            loss::entry("top_one_hot"),
            &loss_args,
            loss_buffers,
            line_groups(batch),
        ));
        let loss = vec![
            Step::Run(gpu.dispatch(
                loss::entry("softmax_cross_entropy"),
                &loss_args,
                loss_buffers,
                line_groups(batch),
            )),
            Step::Run(gpu.dispatch(loss::entry("totals"), &loss_args, loss_buffers, (1, 1, 1))),
        ];
        Ok(Program {
            acts,
            grad,
            labels,
            rows,
            own,
            forward: HashMap::new(),
            loss,
            explain,
            backward: HashMap::new(),
            cols: gpu.buffer("columns", cols),
            dcols: gpu.buffer("column gradients", cols),
            tmp: gpu.buffer("gemm output", tmp),
            partial: gpu.buffer("partial products", partial),
        })
    }

    fn io<'a>(&'a self, program: &'a Program, batch: usize, i: usize) -> Io<'a> {
        Io {
            batch,
            input_len: self.input_len(i),
            output_len: self.plan.layers[i].output_len,
            x: &program.acts[i],
            y: &program.acts[i + 1],
            params: &self.params,
            grads: &self.grads,
            buffers: &self.buffers,
            cols: &program.cols,
            dcols: &program.dcols,
            tmp: &program.tmp,
            partial: &program.partial,
            own: &program.own[i],
        }
    }

    fn input_len(&self, i: usize) -> usize {
        match i {
            0 => self.plan.input_len,
            _ => self.plan.layers[i - 1].output_len,
        }
    }

    /// Records the forward pass of `batch` (built the first time) into `encoder`, after
    /// uploading the inputs and, in training, new dropout masks.
    fn record_forward(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        x: &[f32],
        batch: usize,
        mode: Mode,
    ) -> Result<()> {
        let input_len = self.plan.input_len;
        if batch.checked_mul(input_len) != Some(x.len()) {
            return Err(crate::shape_err!(
                "{batch} inputs of {:?} take {batch}×{input_len} values, got {}",
                self.spec.input,
                x.len()
            ));
        }
        self.program(batch)?;
        let program = &self.programs[&batch];
        self.gpu.write(&program.acts[0], 0, x);
        if !program.forward.contains_key(&mode) {
            let steps = (0..self.layers.len())
                .flat_map(|i| {
                    let io = self.io(program, batch, i);
                    self.layers[i].forward(&self.gpu, &io, mode)
                })
                .collect();
            self.programs
                .get_mut(&batch)
                .expect("built above")
                .forward
                .insert(mode, steps);
        }
        if mode == Mode::Train {
            for (i, layer) in self.layers.iter_mut().enumerate() {
                if let Some(mask) = layer.next_mask(batch * self.plan.layers[i].output_len) {
                    self.gpu.write(&self.programs[&batch].own[i], 0, &mask);
                }
            }
        }
        record(encoder, &self.programs[&batch].forward[&mode]);
        Ok(())
    }

    /// Records the loss on `labels` and its gradient after a training forward of `batch`.
    fn record_loss(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        labels: &[u8],
        smoothing: f32,
        batch: usize,
    ) -> Result<()> {
        let classes = self.plan.classes();
        crate::train::check_labels(labels, classes)?;
        let program = &self.programs[&batch];
        let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        self.gpu.write_u32(&program.labels, &labels);
        if let Step::Run(launch) = &program.loss[0] {
            let args = loss::Args {
                rows: u(batch),
                classes: u(classes),
                smoothing,
            };
            self.gpu.set_args(launch, &args);
        }
        record(encoder, &program.loss);
        Ok(())
    }

    /// Records the backward pass of `batch` (built the first time) from dL/dlogits in the first
    /// gradient buffer; returns which gradient buffer then holds dL/dinput (when asked for).
    fn record_backward(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        batch: usize,
        mode: Mode,
        need_input_grad: bool,
    ) -> usize {
        let program = &self.programs[&batch];
        let k = (mode, need_input_grad);
        if !program.backward.contains_key(&k) {
            let mut steps = Vec::new();
            let mut cur = 0;
            for i in (0..self.layers.len()).rev() {
                let layer = &self.layers[i];
                if layer.is_view() {
                    continue;
                }
                let io = self.io(program, batch, i);
                let dx = (i > 0 || need_input_grad).then_some(&program.grad[1 - cur]);
                steps.extend(layer.backward(&self.gpu, &io, mode, &program.grad[cur], dx));
                cur = 1 - cur;
            }
            self.programs
                .get_mut(&batch)
                .expect("built")
                .backward
                .insert(k, (steps, cur));
        }
        let (steps, at) = &self.programs[&batch].backward[&k];
        record(encoder, steps);
        *at
    }

    /// Records a training step's forward, loss and backward passes on `x` and `labels`
    /// (the trainer adds the update and submits).
    pub(crate) fn record_gradients(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        x: &[f32],
        labels: &[u8],
        smoothing: f32,
    ) -> Result<()> {
        let batch = labels.len();
        self.record_forward(encoder, x, batch, Mode::Train)?;
        self.record_loss(encoder, labels, smoothing, batch)?;
        self.record_backward(encoder, batch, Mode::Train, false);
        Ok(())
    }

    /// The logits (`batch` rows) for inputs `x`, evaluating: submitted now, read back when
    /// awaited.
    pub fn infer(
        &mut self,
        x: &[f32],
        batch: usize,
    ) -> Result<impl Future<Output = Result<Vec<f32>>> + 'static> {
        let mut encoder = self.gpu.encoder();
        self.record_forward(&mut encoder, x, batch, Mode::Eval)?;
        let logits = &self.programs[&batch].acts[self.layers.len()];
        let read = self
            .gpu
            .read_back(encoder, &[(logits, 0..batch * self.plan.classes())]);
        Ok(async move { Ok(read.await?.pop().expect("one part asked for")) })
    }

    /// One input `x` seen through the network, evaluating (what the page's layers panel
    /// draws): its logits, every layer's output, its saliency map and the parameters named in
    /// `params`. Submitted now, read back when awaited, in one wait.
    pub fn inspect(
        &mut self,
        x: &[f32],
        params: &[&str],
    ) -> Result<impl Future<Output = Result<Inspection>> + 'static> {
        let ranges = params
            .iter()
            .map(|name| self.param_range(name))
            .collect::<Result<Vec<_>>>()?;
        let mut encoder = self.gpu.encoder();
        self.record_forward(&mut encoder, x, 1, Mode::Explain)?;
        record(
            &mut encoder,
            std::slice::from_ref(&self.programs[&1].explain),
        );
        let at = self.record_backward(&mut encoder, 1, Mode::Explain, true);
        let program = &self.programs[&1];
        let layers = self.layers.len();
        let mut parts = vec![
            (&program.acts[layers], 0..self.plan.classes()),
            (&program.grad[at], 0..self.plan.input_len),
        ];
        parts.extend((1..=layers).map(|i| (&program.acts[i], 0..self.input_len(i))));
        parts.extend(ranges.into_iter().map(|r| (&self.params, r)));
        let read = self.gpu.read_back(encoder, &parts);
        Ok(async move {
            let mut parts = read.await?.into_iter();
            let mut next = || parts.next().expect("as many parts as asked for");
            let logits = next();
            let saliency = next().iter().map(|g| g.abs()).collect();
            let outputs = (0..layers).map(|_| next()).collect();
            Ok(Inspection {
                logits,
                saliency,
                outputs,
                params: parts.collect(),
            })
        })
    }

    /// A training forward and backward pass on `x` and `labels` (smoothed by `smoothing`),
    /// without an update: the gradients stay in the arena ([`GpuModel::read_grads`]). Returns
    /// the batch's statistics and, when asked, dL/dinput.
    pub async fn gradients(
        &mut self,
        x: &[f32],
        labels: &[u8],
        smoothing: f32,
        need_input_grad: bool,
    ) -> Result<(StepStats, Option<Vec<f32>>)> {
        let batch = labels.len();
        let mut encoder = self.gpu.encoder();
        self.record_forward(&mut encoder, x, batch, Mode::Train)?;
        self.record_loss(&mut encoder, labels, smoothing, batch)?;
        let at = self.record_backward(&mut encoder, batch, Mode::Train, need_input_grad);
        // The batch's mean loss and number correct, and dL/dinput when asked: one wait.
        let program = &self.programs[&batch];
        let input_grad_len = if need_input_grad { x.len() } else { 0 };
        let read = self.gpu.read_back(
            encoder,
            &[
                (&program.rows, 2 * batch..2 * batch + 2),
                (&program.grad[at], 0..input_grad_len),
            ],
        );
        let [totals, input_grad]: [Vec<f32>; 2] =
            read.await?.try_into().expect("two parts asked for");
        let stats = StepStats {
            loss: totals[0],
            correct: totals[1] as usize,
            size: batch,
        };
        Ok((stats, need_input_grad.then_some(input_grad)))
    }
}

/// Records `steps` into `encoder`: runs of launches as compute passes, copies between them.
fn record(encoder: &mut wgpu::CommandEncoder, steps: &[Step]) {
    let mut rest = steps;
    while let Some(first) = rest.first() {
        if let Step::Copy { from, to, len } = first {
            encoder.copy_buffer_to_buffer(from, 0, to, 0, 4 * *len as u64);
            rest = &rest[1..];
            continue;
        }
        let run = rest
            .iter()
            .position(|s| matches!(s, Step::Copy { .. }))
            .unwrap_or(rest.len());
        Gpu::record(
            encoder,
            rest[..run].iter().map(|s| match s {
                Step::Run(d) => d,
                Step::Copy { .. } => unreachable!("a run holds launches only"),
            }),
        );
        rest = &rest[run..];
    }
}
