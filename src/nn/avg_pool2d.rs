//! `AvgPool2d` (floor mode, zero padding counted, as PyTorch's defaults): each output is the mean
//! of its k×k window; the gradient is shared equally among the window's inputs.

use super::layer::{Layer, Mode};
use super::pool_window::PoolWindow;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::{Attr, Nodes};
use crate::field::layer_spec;

layer_spec! {
    /// `nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0)`; a stride of None is the kernel
    /// size.
    pub struct AvgPool2dSpec {
        KERNEL_SIZE => kernel_size: usize = count(1, None, 2).help("side of each square window");
        STRIDE => stride: Option<usize> = count(1, None, 2)
            .default_is("the kernel size")
            .help("step between windows");
        PADDING => padding: usize = count(0, None, 0)
            .optional()
            .help("zeros added on each side, at most half the kernel");
    }
}

impl AvgPool2dSpec {
    pub(crate) fn pool(&self, input: &[usize]) -> Result<AvgPool2d> {
        let k = KERNEL_SIZE.check_count(self.kernel_size)?;
        let s = STRIDE.check_count(self.stride.unwrap_or(k))?;
        let p = PADDING.check_count(self.padding)?;
        Ok(AvgPool2d(PoolWindow::new(input, k, s, p)?))
    }
}

impl LayerConfig for AvgPool2dSpec {
    const ABOUT: About = About {
        label: "AvgPool2d",
        kind: "avgpool",
        fields: FIELDS,
        signed: false,
        kernels: false,
        sized_by_input: false,
        help: "keeps the mean of each window",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let pool = self.pool(input)?;
        Ok(Planned::shape(pool.output_shape().to_vec()))
    }

    fn build(&self, input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(self.pool(input)?))
    }

    fn onnx(&self, n: &mut Nodes) {
        n.op(
            "AveragePool",
            &[],
            &[
                ("kernel_shape", Attr::pair(self.kernel_size)),
                (
                    "strides",
                    Attr::pair(self.stride.unwrap_or(self.kernel_size)),
                ),
                ("pads", Attr::pads(self.padding)),
                ("count_include_pad", Attr::Int(1)),
            ],
        );
    }

    #[cfg(feature = "gpu")]
    fn gpu(&self, at: &crate::gpu::layers::Place) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::avg_pool2d::AvgPool2d::new(
            self, at,
        )?))
    }
}

pub struct AvgPool2d(pub PoolWindow);

impl AvgPool2d {
    pub fn output_shape(&self) -> [usize; 3] {
        self.0.output_shape()
    }
}

impl Layer for AvgPool2d {
    // x (N,C,H,W) → y (N,C,OH,OW); y = Σ window / k², the padding's zeros counted
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        let win = self.0;
        let ((c, h, w), (oh, ow)) = (win.input, win.output);
        let scale = 1.0 / (win.kernel * win.kernel) as f32;
        for p in 0..batch * c {
            let plane = &x[p * h * w..(p + 1) * h * w];
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut sum = 0.0;
                    for iy in win.span(oy, h) {
                        for ix in win.span(ox, w) {
                            sum += plane[iy * w + ix];
                        }
                    }
                    y[(p * oh + oy) * ow + ox] = sum * scale;
                }
            }
        }
    }

    // dx[window] += dy / k²
    fn backward(
        &mut self,
        batch: usize,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let Some(dx) = dx else { return };
        let win = self.0;
        let ((c, h, w), (oh, ow)) = (win.input, win.output);
        let scale = 1.0 / (win.kernel * win.kernel) as f32;
        dx.fill(0.0);
        for p in 0..batch * c {
            let plane = &mut dx[p * h * w..(p + 1) * h * w];
            for oy in 0..oh {
                for ox in 0..ow {
                    let g = dy[(p * oh + oy) * ow + ox] * scale;
                    for iy in win.span(oy, h) {
                        for ix in win.span(ox, w) {
                            plane[iy * w + ix] += g;
                        }
                    }
                }
            }
        }
    }
}
