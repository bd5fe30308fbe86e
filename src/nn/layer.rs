//! What every layer is: a forward pass that caches what its backward pass needs, a backward pass
//! that accumulates parameter gradients and returns the input gradient, and its parameters.

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

/// Training or evaluation: dropout and batch norm behave differently in each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// One layer. Shapes include the batch dimension first; `forward` may assume the shape it was
/// built for (the model checks the input once).
pub trait Layer: Send {
    /// The output for input `x`; in `Mode::Train` and `Mode::Explain` also caches what
    /// `backward` needs. Arrays move in and out, so a layer can work in place (ReLU, flatten)
    /// or keep its input without copying it (conv, linear).
    fn forward(&mut self, x: ArrayD<f32>, mode: Mode) -> ArrayD<f32>;
    /// Given dL/dy for the last caching forward, adds dL/dθ into the parameters' `grad` and
    /// returns dL/dx when `need_dx` (the first layer of a network seldom needs it).
    fn backward(&mut self, dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>>;
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
