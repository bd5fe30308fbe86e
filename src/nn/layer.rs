//! What every layer is: a forward pass that writes its output into a buffer the model owns and
//! keeps what backward needs besides its input and output, a backward pass that accumulates
//! parameter gradients and writes the input gradient, and its parameters.

use ndarray::ArrayD;

/// A learnable tensor and the gradient accumulated into it. `name` is local to the layer
/// (`weight`, `bias`); the model prefixes the layer's name (`conv1.weight`).
#[derive(Clone, Debug)]
pub struct Param {
    pub name: &'static str,
    pub value: ArrayD<f32>,
    pub grad: ArrayD<f32>,
}

impl Param {
    pub fn new(name: &'static str, value: ArrayD<f32>) -> Self {
        let grad = ArrayD::zeros(value.raw_dim());
        Param { name, value, grad }
    }
}

/// A tensor saved with the model that training does not learn by gradient, such as
/// BatchNorm's running statistics.
#[derive(Clone, Debug)]
pub struct Buffer {
    pub name: &'static str,
    pub value: ArrayD<f32>,
}

/// Training or evaluation: dropout and batch norm behave differently in each. The same on every
/// device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Train,
    Eval,
    /// Evaluation behaviour, but remembering what backward needs: for the gradient of an
    /// evaluation-mode output with respect to its input (saliency maps).
    Explain,
}

impl Mode {
    /// Whether forward keeps what backward needs.
    pub fn caches(self) -> bool {
        self != Mode::Eval
    }
}

/// One layer, working on contiguous batches: `x` holds `batch` inputs and `y` as many outputs,
/// each of the per-sample shape the layer was built for. The model owns every activation and
/// gradient buffer and reuses them step after step, so a training step allocates nothing.
pub trait Layer: Send {
    /// Writes the output for input `x` into `y`, overwriting it. In `Mode::Train` and
    /// `Mode::Explain` also keeps what `backward` needs besides `x` and `y`.
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], mode: Mode);
    /// Given dL/dy for the last caching forward, whose input and output were `x` and `y`, adds
    /// dL/dθ into the parameters' `grad` and, when `dx` is given, overwrites it with dL/dx (the
    /// first layer of a network seldom needs it).
    fn backward(&mut self, batch: usize, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>);
    fn params(&self) -> &[Param] {
        &[]
    }
    fn params_mut(&mut self) -> &mut [Param] {
        &mut []
    }
    fn buffers(&self) -> &[Buffer] {
        &[]
    }
    fn buffers_mut(&mut self) -> &mut [Buffer] {
        &mut []
    }
    /// Computes with `kernels` from now on (the layers that multiply matrices keep them).
    fn set_kernels(&mut self, _kernels: crate::ops::Kernels) {}
}

/// A contiguous slice of an array (every array the layers make is standard layout).
pub(crate) fn flat(a: &ArrayD<f32>) -> &[f32] {
    a.as_slice().expect("layers keep arrays in standard layout")
}

pub(crate) fn flat_mut(a: &mut ArrayD<f32>) -> &mut [f32] {
    a.as_slice_mut()
        .expect("layers keep arrays in standard layout")
}

/// The uniform initialisation PyTorch gives Conv2d and Linear by default: Kaiming-uniform with
/// a = √5 for the weight, which works out to U(−1/√fan_in, 1/√fan_in), and the same bound for
/// the bias.
pub(crate) fn pytorch_uniform(
    shape: &[usize],
    fan_in: usize,
    rng: &mut crate::rng::Rng,
) -> ArrayD<f32> {
    let bound = 1.0 / (fan_in as f32).sqrt();
    ArrayD::from_shape_simple_fn(shape.to_vec(), || rng.uniform(-bound, bound))
}
