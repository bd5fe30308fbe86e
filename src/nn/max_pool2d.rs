//! `MaxPool2d` (no padding, floor mode): each output is the largest value in its window; the
//! gradient goes to that one input, the first maximum in row-major order on ties (as PyTorch).

use super::layer::{flat, flat_mut, Layer, Mode};
use ndarray::ArrayD;

pub struct MaxPool2d {
    kernel: usize,
    stride: usize,
    /// For each output of the last training forward, the flat index of its input maximum.
    argmax: Vec<u32>,
    input_shape: Vec<usize>,
}

impl MaxPool2d {
    pub fn new(kernel: usize, stride: usize) -> Self {
        MaxPool2d {
            kernel,
            stride,
            argmax: Vec::new(),
            input_shape: Vec::new(),
        }
    }

    /// Output side for an input side (floor mode).
    pub fn out_size(&self, size: usize) -> usize {
        (size - self.kernel) / self.stride + 1
    }
}

impl Layer for MaxPool2d {
    // x (N,C,H,W) → y (N,C,OH,OW)
    fn forward(&mut self, x: ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let s = x.shape();
        let (nc, h, w) = (s[0] * s[1], s[2], s[3]);
        let (oh, ow) = (self.out_size(h), self.out_size(w));
        let mut y = ArrayD::zeros(vec![s[0], s[1], oh, ow]);
        let train = mode.caches();
        if train {
            self.argmax.resize(nc * oh * ow, 0);
            self.input_shape = s.to_vec();
        }
        let xs = flat(&x);
        let ys = flat_mut(&mut y);
        let (k, s) = (self.kernel, self.stride);
        for p in 0..nc {
            let plane = &xs[p * h * w..(p + 1) * h * w];
            let out = &mut ys[p * oh * ow..(p + 1) * oh * ow];
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
        y
    }

    // dx[argmax] += dy
    fn backward(&mut self, dy: ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        need_dx.then(|| {
            let mut dx = ArrayD::zeros(self.input_shape.clone());
            let dxs = flat_mut(&mut dx);
            for (&g, &k) in flat(&dy).iter().zip(&self.argmax) {
                dxs[k as usize] += g;
            }
            dx
        })
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
