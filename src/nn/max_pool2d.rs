//! `MaxPool2d` (no padding, floor mode): each output is the largest value in its window; the
//! gradient goes to that one input, the first maximum in row-major order on ties (as PyTorch).

use super::layer::{Layer, Mode};

pub struct MaxPool2d {
    kernel: usize,
    stride: usize,
    /// Per-sample input (C,H,W).
    input: (usize, usize, usize),
    /// For each output of the last caching forward, the flat index of its input maximum.
    argmax: Vec<u32>,
}

impl MaxPool2d {
    /// A pool over (C,H,W) inputs; the window must fit: `kernel` ≤ H, W.
    pub fn new(input: (usize, usize, usize), kernel: usize, stride: usize) -> Self {
        MaxPool2d {
            kernel,
            stride,
            input,
            argmax: Vec::new(),
        }
    }

    /// Output side for an input side (floor mode).
    fn out_size(&self, size: usize) -> usize {
        (size - self.kernel) / self.stride + 1
    }

    /// Per-sample output (C,OH,OW).
    pub fn output_shape(&self) -> [usize; 3] {
        let (c, h, w) = self.input;
        [c, self.out_size(h), self.out_size(w)]
    }
}

impl Layer for MaxPool2d {
    // x (N,C,H,W) → y (N,C,OH,OW)
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], mode: Mode) {
        let (c, h, w) = self.input;
        let [_, oh, ow] = self.output_shape();
        let nc = batch * c;
        let train = mode.caches();
        if train {
            self.argmax.resize(nc * oh * ow, 0);
        }
        let (k, s) = (self.kernel, self.stride);
        for p in 0..nc {
            let plane = &x[p * h * w..(p + 1) * h * w];
            let out = &mut y[p * oh * ow..(p + 1) * oh * ow];
            let arg = if train {
                Some(&mut self.argmax[p * oh * ow..(p + 1) * oh * ow])
            } else {
                None
            };
            if k == 2 && s == 2 {
                pool_2x2(plane, w, out, ow, arg, p * h * w);
            } else {
                pool_any(plane, w, k, s, out, ow, arg, p * h * w);
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

/// Any window size and stride.
#[allow(clippy::too_many_arguments)]
fn pool_any(
    plane: &[f32],
    w: usize,
    k: usize,
    s: usize,
    out: &mut [f32],
    ow: usize,
    mut arg: Option<&mut [u32]>,
    base: usize,
) {
    for (i, out_row) in out.chunks_exact_mut(ow).enumerate() {
        for (j, o) in out_row.iter_mut().enumerate() {
            let first = i * s * w + j * s;
            let mut best = (plane[first], first);
            for r in i * s..i * s + k {
                for c in j * s..j * s + k {
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
