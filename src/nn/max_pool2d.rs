//! `MaxPool2d` (floor mode, padding never chosen): each output is the largest value in its window; the
//! gradient goes to that one input, the first maximum in row-major order on ties (as PyTorch).

use super::layer::{Layer, Mode};
use super::plan::product;
use super::pool_window::PoolWindow;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::{Attr, Nodes};
use crate::field::layer_spec;

layer_spec! {
    /// `nn.MaxPool2d(kernel_size=2, stride=kernel_size)`; a stride of None is the kernel size.
    pub struct MaxPool2dSpec {
        KERNEL_SIZE => kernel_size: usize = count(1, None, 2)
            .optional()
            .help("side of each square window");
        STRIDE => stride: Option<usize> = count(1, None, 2)
            .default_is("the kernel size")
            .help("step between windows");
        PADDING => padding: usize = count(0, None, 0)
            .optional()
            .help("on each side, never chosen; at most half the kernel");
    }
}

impl MaxPool2dSpec {
    pub fn new(kernel_size: usize) -> Self {
        let given = Given {
            kernel_size: Some(kernel_size),
            ..Given::default()
        };
        Self::try_from(given).expect("the other fields have defaults")
    }

    /// The pool for a per-sample input of `input`, checked.
    pub(crate) fn pool(&self, input: &[usize]) -> Result<MaxPool2d> {
        let k = KERNEL_SIZE.check_count(self.kernel_size)?;
        let s = STRIDE.check_count(self.stride.unwrap_or(k))?;
        let p = PADDING.check_count(self.padding)?;
        Ok(MaxPool2d::new(PoolWindow::new(input, k, s, p)?))
    }
}

impl LayerConfig for MaxPool2dSpec {
    const ABOUT: About = About {
        label: "MaxPool2d",
        kind: "pool",
        fields: FIELDS,
        signed: false,
        kernels: false,
        sized_by_input: false,
        help: "keeps the largest value of each window",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let output = self.pool(input)?.output_shape().to_vec();
        Ok(Planned {
            // The maxima's positions, one per output.
            cache: product("the output", &output)?,
            ..Planned::shape(output)
        })
    }

    fn build(&self, input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(self.pool(input)?))
    }

    fn onnx(&self, n: &mut Nodes) {
        n.op(
            "MaxPool",
            &[],
            &[
                ("kernel_shape", Attr::pair(self.kernel_size)),
                (
                    "strides",
                    Attr::pair(self.stride.unwrap_or(self.kernel_size)),
                ),
                ("pads", Attr::pads(self.padding)),
            ],
        );
    }

    #[cfg(feature = "gpu")]
    fn gpu(&self, at: &crate::gpu::layers::Place) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::max_pool2d::MaxPool2d::new(
            self, at,
        )?))
    }
}

pub struct MaxPool2d {
    window: PoolWindow,
    /// For each output of the last caching forward, the flat index of its input maximum.
    argmax: Vec<u32>,
}

impl MaxPool2d {
    pub fn new(window: PoolWindow) -> Self {
        MaxPool2d {
            window,
            argmax: Vec::new(),
        }
    }

    /// Per-sample output (C,OH,OW).
    pub fn output_shape(&self) -> [usize; 3] {
        self.window.output_shape()
    }

    pub fn window(&self) -> PoolWindow {
        self.window
    }
}

impl Layer for MaxPool2d {
    // x (N,C,H,W) → y (N,C,OH,OW)
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], mode: Mode) {
        let win = self.window;
        let ((c, h, w), (oh, ow)) = (win.input, win.output);
        let nc = batch * c;
        let train = mode.caches();
        if train {
            self.argmax.resize(nc * oh * ow, 0);
        }
        for p in 0..nc {
            let plane = &x[p * h * w..(p + 1) * h * w];
            let out = &mut y[p * oh * ow..(p + 1) * oh * ow];
            let arg = if train {
                Some(&mut self.argmax[p * oh * ow..(p + 1) * oh * ow])
            } else {
                None
            };
            if win.kernel == 2 && win.stride == 2 && win.padding == 0 {
                pool_2x2(plane, w, out, ow, arg, p * h * w);
            } else {
                pool_any(plane, &win, out, ow, arg, p * h * w);
            }
        }
    }

    // dx[argmax] += dy
    fn backward(
        &mut self,
        _batch: usize,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let Some(dx) = dx else { return };
        dx.fill(0.0);
        for (&g, &k) in dy.iter().zip(&self.argmax) {
            dx[k as usize] += g;
        }
    }
}

/// Takes `v` at flat index `i` over the current best when it is larger, or NaN (PyTorch's rule:
/// the first maximum in row-major order wins a tie, and NaN propagates).
#[inline(always)]
fn consider(best: &mut (f32, usize), v: f32, i: usize) {
    if v > best.0 || v.is_nan() {
        *best = (v, i);
    }
}

/// The common case, a 2×2 window with stride 2, unrolled. `base` is the plane's flat offset,
/// added to the recorded argmax.
fn pool_2x2(
    plane: &[f32],
    w: usize,
    out: &mut [f32],
    ow: usize,
    mut arg: Option<&mut [u32]>,
    base: usize,
) {
    for (i, out_row) in out.chunks_exact_mut(ow).enumerate() {
        let r0 = 2 * i * w;
        let (top, bottom) = (&plane[r0..r0 + 2 * ow], &plane[r0 + w..r0 + w + 2 * ow]);
        for (j, o) in out_row.iter_mut().enumerate() {
            let c = 2 * j;
            let mut best = (top[c], r0 + c);
            consider(&mut best, top[c + 1], r0 + c + 1);
            consider(&mut best, bottom[c], r0 + w + c);
            consider(&mut best, bottom[c + 1], r0 + w + c + 1);
            *o = best.0;
            if let Some(arg) = arg.as_deref_mut() {
                arg[i * ow + j] = (base + best.1) as u32;
            }
        }
    }
}

/// Any window size, stride and padding: the window clipped to the input, the padding never
/// chosen (PyTorch pads with −∞).
fn pool_any(
    plane: &[f32],
    win: &PoolWindow,
    out: &mut [f32],
    ow: usize,
    mut arg: Option<&mut [u32]>,
    base: usize,
) {
    let (_, h, w) = win.input;
    for (i, out_row) in out.chunks_exact_mut(ow).enumerate() {
        let rows = win.span(i, h);
        for (j, o) in out_row.iter_mut().enumerate() {
            let cols = win.span(j, w);
            let first = rows.start * w + cols.start;
            let mut best = (plane[first], first);
            for r in rows.clone() {
                for c in cols.clone() {
                    if r * w + c != first {
                        consider(&mut best, plane[r * w + c], r * w + c);
                    }
                }
            }
            *o = best.0;
            if let Some(arg) = arg.as_deref_mut() {
                arg[i * ow + j] = (base + best.1) as u32;
            }
        }
    }
}
