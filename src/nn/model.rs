//! A network built from a [`ModelSpec`]: layers with PyTorch's parameter names, output shapes
//! inferred and checked when it is built, and every layer's activations on request.

use super::layer::{flat, Buffer, Layer, Mode, Param};
use super::plan::{LayerPlan, Plan};
use super::spec::{Init, ModelSpec};
use crate::data::ImageShape;
use crate::error::{Error, Result};
use crate::ops::Kernels;
use crate::rng::Rng;
use ndarray::ArrayD;

struct Node {
    layer: Box<dyn Layer>,
}

pub struct Model {
    spec: ModelSpec,
    /// What its initial weights and its layers' own generators (dropout's) were drawn from.
    seed: u64,
    /// How its products are computed ([`Model::set_kernels`]).
    kernels: Kernels,
    /// Every size, checked before anything was allocated.
    plan: Plan,
    nodes: Vec<Node>,
    /// The last forward's batch size and whether it kept what backward needs.
    batch: usize,
    cached: bool,
    /// `acts[0]` is the last forward's input and `acts[i + 1]` the output of layer i; backward
    /// reads them. They keep their capacity between calls, as do the two gradient buffers that
    /// backward passes down (dL/dy and dL/dx, swapped at each layer), so that once the buffers
    /// have grown a training step allocates nothing.
    acts: Vec<Vec<f32>>,
    grads: [Vec<f32>; 2],
}

impl Model {
    /// Builds and initialises the network (PyTorch's default initialisation from `seed`), once
    /// its plan has checked every size. Layers are named by kind and count, so the tutorial's
    /// net has PyTorch's names: conv1, relu1, pool1, conv2, …, fc1, relu3, fc2.
    pub fn new(spec: &ModelSpec, seed: u64) -> Result<Self> {
        let plan = Plan::new(spec)?;
        let mut rng = Rng::new(seed);
        let mut input = spec.input.to_vec();
        let mut nodes = Vec::with_capacity(plan.layers.len());
        for (i, (layer, planned)) in spec.layers.iter().zip(&plan.layers).enumerate() {
            let layer = layer.build(&input, &mut Init::new(&mut rng, seed, i))?;
            nodes.push(Node { layer });
            input.clone_from(&planned.sizes.output_shape);
        }
        Ok(Model {
            spec: spec.clone(),
            seed,
            kernels: Kernels::default(),
            plan,
            acts: vec![Vec::new(); nodes.len() + 1],
            nodes,
            batch: 0,
            cached: false,
            grads: [Vec::new(), Vec::new()],
        })
    }

    /// Runs the network once forward and once backward on a probe batch of two blank inputs,
    /// in evaluation behaviour so that nothing it keeps changes (batch norm's running
    /// statistics, dropout's generator). A model that cannot run, or whose scores are not
    /// numbers, is found out here, before anyone keeps it.
    pub fn prove(&mut self) -> Result<()> {
        let probe = vec![0.0; 2 * self.plan.input_len];
        let logits = self.forward_batch(&probe, 2, Mode::Explain)?;
        if logits.iter().any(|v| !v.is_finite()) {
            return Err(Error::Invalid(
                "its scores for a blank image are not finite numbers: its weights are too large to compute with".into(),
            ));
        }
        let ones = vec![1.0; logits.len()];
        self.backward(&ones, false);
        self.zero_grad();
        Ok(())
    }

    /// Refuses a batch too large for the memory a training step may take ([`Plan::check_batch`]).
    pub fn check_batch(&self, batch: usize) -> Result<()> {
        self.plan.check_batch(batch)
    }

    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Computes with `kernels` from now on: the fastest this machine has (the default), or
    /// strict, bit for bit the page's SIMD build.
    pub fn set_kernels(&mut self, kernels: Kernels) {
        self.kernels = kernels;
        for node in &mut self.nodes {
            node.layer.set_kernels(kernels);
        }
    }

    pub fn kernels(&self) -> Kernels {
        self.kernels
    }

    /// The number of classes: the size of the last layer's output.
    pub fn classes(&self) -> usize {
        self.plan.classes()
    }

    /// Why this network cannot learn `dataset` (images of `shape`, `classes` classes), in a
    /// sentence; None when it can. More outputs than classes are allowed: the extra ones are
    /// never the answer.
    pub fn misfit(&self, dataset: &str, shape: ImageShape, classes: usize) -> Option<String> {
        let input = self.spec.input;
        if input != shape.dims() {
            let [c, h, w] = input;
            return Some(format!(
                "The network takes {c}×{h}×{w} inputs, but {dataset}'s images are {}: its input must be {:?}.",
                shape.text(),
                shape.dims()
            ));
        }
        let outputs = self.classes();
        (outputs < classes).then(|| {
            format!(
                "The last layer gives {outputs} scores, but {dataset} has {classes} classes: it needs at least {classes} outputs."
            )
        })
    }

    /// Every layer: its name, type and sizes.
    pub fn layers(&self) -> &[LayerPlan] {
        &self.plan.layers
    }

    pub fn num_params(&self) -> usize {
        self.params().map(|p| p.value.len()).sum()
    }

    /// Floating-point operations of one image's forward pass (convolutions and linear layers).
    pub fn flops_per_image(&self) -> u64 {
        self.plan.layers.iter().map(|l| l.sizes.flops).sum()
    }

    fn check_input(&self, x: &ArrayD<f32>) -> Result<()> {
        if x.ndim() != 4 || x.shape()[1..] != self.spec.input || x.shape()[0] == 0 {
            return Err(crate::shape_err!(
                "the network takes (N,{},{},{}) inputs, got {:?}",
                self.spec.input[0],
                self.spec.input[1],
                self.spec.input[2],
                x.shape()
            ));
        }
        if !x.is_standard_layout() {
            return Err(crate::shape_err!(
                "input must be contiguous (standard layout)"
            ));
        }
        Ok(())
    }

    /// The logits (N, classes) for inputs x (N,C,H,W).
    pub fn forward(&mut self, x: &ArrayD<f32>, mode: Mode) -> Result<ArrayD<f32>> {
        self.check_input(x)?;
        let batch = x.shape()[0];
        let logits = self.forward_batch(flat(x), batch, mode)?.to_vec();
        Ok(ArrayD::from_shape_vec(vec![batch, self.classes()], logits).expect("one row per input"))
    }

    /// The logits, `batch` rows of class scores, for `batch` inputs laid out (N,C,H,W) in `x`.
    /// They stay in the model with every other activation until the next forward.
    pub fn forward_batch(&mut self, x: &[f32], batch: usize, mode: Mode) -> Result<&[f32]> {
        let input_len = self.plan.input_len;
        if batch == 0 || batch.checked_mul(input_len) != Some(x.len()) {
            return Err(crate::shape_err!(
                "{batch} inputs of {:?} take {batch}×{input_len} values, got {}",
                self.spec.input,
                x.len()
            ));
        }
        self.plan.check_batch(batch)?;
        self.batch = batch;
        self.cached = mode.caches();
        self.acts[0].clear();
        self.acts[0].extend_from_slice(x);
        for (i, (node, planned)) in self.nodes.iter_mut().zip(&self.plan.layers).enumerate() {
            let (done, rest) = self.acts.split_at_mut(i + 1);
            let y = &mut rest[0];
            // Within the plan's memory check, so the product fits.
            y.resize(batch * planned.output_len, 0.0);
            node.layer.forward(batch, &done[i], y, mode);
        }
        Ok(&self.acts[self.nodes.len()])
    }

    /// Every layer's output for x, in evaluation mode, named (conv1, relu1, pool1, …).
    pub fn activations(&mut self, x: &ArrayD<f32>) -> Result<Vec<(String, ArrayD<f32>)>> {
        self.forward(x, Mode::Eval)?;
        let batch = self.batch;
        Ok(self
            .plan
            .layers
            .iter()
            .zip(&self.acts[1..])
            .map(|(l, a)| {
                let shape: Vec<usize> = std::iter::once(batch)
                    .chain(l.sizes.output_shape.iter().copied())
                    .collect();
                let a =
                    ArrayD::from_shape_vec(shape, a.clone()).expect("activations fit their shape");
                (l.name.clone(), a)
            })
            .collect())
    }

    /// Backpropagates dL/dlogits through the last forward, which must have been in
    /// `Mode::Train` or `Mode::Explain`, accumulating every parameter's gradient; returns
    /// dL/dinput when asked (for saliency maps and tests).
    pub fn backward(&mut self, dlogits: &[f32], need_input_grad: bool) -> Option<&[f32]> {
        assert!(
            self.cached,
            "Model::backward needs a training or explaining forward first"
        );
        assert_eq!(
            dlogits.len(),
            self.acts[self.nodes.len()].len(),
            "one gradient per logit"
        );
        // The two buffers only grow: sliced to each layer's length, so that moving from a small
        // layer to a large one does not zero what backward is about to overwrite.
        let grow = |v: &mut Vec<f32>, len: usize| {
            if v.len() < len {
                v.resize(len, 0.0);
            }
        };
        let [dy, dx] = &mut self.grads;
        grow(dy, dlogits.len());
        dy[..dlogits.len()].copy_from_slice(dlogits);
        for (i, node) in self.nodes.iter_mut().enumerate().rev() {
            let (x, y) = (&self.acts[i], &self.acts[i + 1]);
            let want = i > 0 || need_input_grad;
            grow(dx, if want { x.len() } else { 0 });
            let dx_wanted = want.then(|| &mut dx[..x.len()]);
            node.layer
                .backward(self.batch, x, y, &dy[..y.len()], dx_wanted);
            std::mem::swap(dy, dx);
        }
        need_input_grad.then(|| &self.grads[0][..self.acts[0].len()])
    }

    pub fn zero_grad(&mut self) {
        for p in self.params_mut() {
            p.grad.fill(0.0);
        }
    }

    /// Every parameter, in a fixed order (the optimiser's state follows it).
    pub fn params_mut(&mut self) -> impl Iterator<Item = &mut Param> {
        self.nodes
            .iter_mut()
            .flat_map(|n| n.layer.params_mut().iter_mut())
    }

    /// Every parameter, in the order of [`Model::params_mut`].
    pub fn params(&self) -> impl Iterator<Item = &Param> {
        self.nodes.iter().flat_map(|n| n.layer.params().iter())
    }

    /// Parameters with their full names (`conv1.weight`), in order.
    pub fn named_params(&self) -> Vec<(String, &Param)> {
        self.nodes
            .iter()
            .zip(&self.plan.layers)
            .flat_map(|(n, l)| {
                n.layer
                    .params()
                    .iter()
                    .map(move |p| (format!("{}.{}", l.name, p.name), p))
            })
            .collect()
    }

    pub fn named_buffers(&self) -> Vec<(String, &Buffer)> {
        self.nodes
            .iter()
            .zip(&self.plan.layers)
            .flat_map(|(n, l)| {
                n.layer
                    .buffers()
                    .iter()
                    .map(move |b| (format!("{}.{}", l.name, b.name), b))
            })
            .collect()
    }

    /// Every parameter and buffer with its full name, in order: what a checkpoint holds.
    pub fn named_tensors(&self) -> Vec<(String, &ArrayD<f32>)> {
        let params = self.named_params().into_iter().map(|(n, p)| (n, &p.value));
        let buffers = self.named_buffers().into_iter().map(|(n, b)| (n, &b.value));
        params.chain(buffers).collect()
    }

    /// Fine-tuning's start: takes `other`'s weights (and buffers) for every layer of the same name
    /// whose tensors all have the same shapes here, except this network's last layer with
    /// parameters, which stays as initialised to learn new classes. Returns the layers taken.
    pub fn take_features(&mut self, other: &Model) -> Vec<String> {
        let head = (self.nodes.iter().zip(&self.plan.layers))
            .rfind(|(n, _)| !n.layer.params().is_empty())
            .map(|(_, l)| l.name.clone());
        /// A layer's tensors in a model: their names and shapes.
        fn shapes(model: &Model, layer: &str) -> Vec<(String, Vec<usize>)> {
            let prefix = format!("{layer}.");
            (model.named_tensors().into_iter())
                .filter(|(name, _)| name.starts_with(&prefix))
                .map(|(name, t)| (name, t.shape().to_vec()))
                .collect()
        }
        let names: Vec<String> = self.plan.layers.iter().map(|l| l.name.clone()).collect();
        let mut taken = Vec::new();
        for layer in names.into_iter().filter(|l| Some(l) != head.as_ref()) {
            let mine = shapes(self, &layer);
            if mine.is_empty() || mine != shapes(other, &layer) {
                continue;
            }
            for (name, value) in other.named_tensors() {
                if mine.iter().any(|(n, _)| *n == name) {
                    self.tensor_mut(&name).expect("the same name").assign(value);
                }
            }
            taken.push(layer);
        }
        taken
    }

    /// Mutable access to a parameter or buffer by full name, for loading checkpoints.
    pub fn tensor_mut(&mut self, name: &str) -> Option<&mut ArrayD<f32>> {
        let (layer, local) = name.split_once('.')?;
        let at = self.plan.layers.iter().position(|l| l.name == layer)?;
        let node = &mut self.nodes[at];
        if let Some(i) = node.layer.params().iter().position(|p| p.name == local) {
            return Some(&mut node.layer.params_mut()[i].value);
        }
        let i = node.layer.buffers().iter().position(|b| b.name == local)?;
        Some(&mut node.layer.buffers_mut()[i].value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::flatten::FlattenSpec;
    use crate::nn::linear::LinearSpec;

    #[test]
    fn fine_tuning_takes_every_layer_that_fits_but_the_last() {
        let gray = ImageShape::new(1, 28, 28).unwrap();
        let digits = Model::new(&ModelSpec::tutorial(), 1).unwrap();
        let mut three = Model::new(&ModelSpec::tutorial().for_data(gray, 3), 2).unwrap();
        let head = three.named_tensors()[6].1.clone();
        assert_eq!(three.take_features(&digits), ["conv1", "conv2", "fc1"]);
        for (name, value) in digits.named_tensors().into_iter().take(6) {
            assert_eq!(three.tensor_mut(&name).unwrap(), value, "{name}");
        }
        assert_eq!(three.named_tensors()[6], ("fc2.weight".into(), &head));
        assert_eq!(three.classes(), 3);
        // A colour network takes nothing of conv1 (3 input channels), nor fc1 (another size).
        let colour = ImageShape::new(3, 32, 32).unwrap();
        let mut photos = Model::new(&ModelSpec::tutorial().for_data(colour, 3), 2).unwrap();
        assert_eq!(photos.take_features(&digits), ["conv2"]);
    }

    #[test]
    fn backward_skips_the_input_gradient_even_when_the_input_is_the_largest_tensor() {
        // The gradient buffers never grow to the input's size here unless dL/dinput is asked for.
        let spec = ModelSpec {
            input: [1, 28, 28],
            layers: vec![FlattenSpec {}.into(), LinearSpec::new(10).into()],
        };
        let mut model = Model::new(&spec, 0).unwrap();
        let x = vec![0.5; 3 * 784];
        model.forward_batch(&x, 3, Mode::Train).unwrap();
        assert!(model.backward(&[0.1; 30], false).is_none());
        let dx = model.backward(&[0.1; 30], true).unwrap();
        assert_eq!(dx.len(), 3 * 784);
    }
}
