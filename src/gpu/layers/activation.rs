//! The activations on the GPU, one table: each is a forward and a backward entry point of
//! elementwise.wgsl, with at most one argument (LeakyReLU's slope).

use super::{GpuLayer, Io, Step};
use crate::gpu::device::{line_groups, Gpu};
use crate::gpu::kernel::{elementwise, u};
use crate::nn::gelu::{Approximate, GeluSpec};
use crate::nn::leaky_relu::LeakyReluSpec;
use crate::nn::Mode;

pub struct Activation {
    forward: &'static str,
    backward: &'static str,
    slope: f32,
}

impl Activation {
    const fn new(forward: &'static str, backward: &'static str) -> Self {
        Activation {
            forward,
            backward,
            slope: 0.0,
        }
    }

    pub const RELU: Activation = Activation::new("relu", "relu_backward");
    pub const SIGMOID: Activation = Activation::new("sigmoid", "sigmoid_backward");
    pub const TANH: Activation = Activation::new("tanh_forward", "tanh_backward");

    pub fn leaky_relu(spec: &LeakyReluSpec) -> Self {
        Activation {
            slope: spec.negative_slope,
            ..Activation::new("leaky_relu", "leaky_relu_backward")
        }
    }

    pub fn gelu(spec: &GeluSpec) -> Self {
        match spec.approximate {
            Approximate::None => Activation::new("gelu", "gelu_backward"),
            Approximate::Tanh => Activation::new("gelu_tanh", "gelu_tanh_backward"),
        }
    }

    fn launch(
        &self,
        gpu: &Gpu,
        entry: &'static str,
        buffers: elementwise::Buffers,
        len: usize,
    ) -> Step {
        let args = elementwise::Args {
            len: u(len),
            slope: self.slope,
        };
        Step::Run(gpu.dispatch(elementwise::entry(entry), &args, buffers, line_groups(len)))
    }
}

impl GpuLayer for Activation {
    // y = f(x), elementwise
    fn forward(&self, gpu: &Gpu, io: &Io, _mode: Mode) -> Vec<Step> {
        let buffers = elementwise::Buffers {
            x: Some(io.x),
            out: Some(io.y),
            ..Default::default()
        };
        vec![self.launch(gpu, self.forward, buffers, io.out_total())]
    }

    // dx = dy · f'(x), from x or y
    fn backward(
        &self,
        gpu: &Gpu,
        io: &Io,
        _mode: Mode,
        dy: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
    ) -> Vec<Step> {
        let Some(dx) = dx else { return Vec::new() };
        let buffers = elementwise::Buffers {
            x: Some(io.x),
            y: Some(io.y),
            dy: Some(dy),
            out: Some(dx),
        };
        vec![self.launch(gpu, self.backward, buffers, io.out_total())]
    }
}
