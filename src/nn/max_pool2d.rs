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
    fn forward(&mut self, x: &ArrayD<f32>, mode: Mode) -> ArrayD<f32> {
        let s = x.shape();
        let (nc, h, w) = (s[0] * s[1], s[2], s[3]);
        let (oh, ow) = (self.out_size(h), self.out_size(w));
        let mut y = ArrayD::zeros(vec![s[0], s[1], oh, ow]);
        let train = mode.caches();
        if train {
            self.argmax.resize(nc * oh * ow, 0);
            self.input_shape = s.to_vec();
        }
        let xs = flat(x);
        let ys = flat_mut(&mut y);
        let (k, s) = (self.kernel, self.stride);
        for p in 0..nc {
            let plane = &xs[p * h * w..(p + 1) * h * w];
            let out = &mut ys[p * oh * ow..(p + 1) * oh * ow];
            for (i, out_row) in out.chunks_exact_mut(ow).enumerate() {
                for (j, o) in out_row.iter_mut().enumerate() {
                    // Row-major over the window; strictly greater, so the first maximum wins,
                    // and a NaN wins over numbers, as in PyTorch.
                    let mut best = (f32::NEG_INFINITY, (i * s) * w + j * s);
                    for r in i * s..i * s + k {
                        let row = &plane[r * w + j * s..r * w + j * s + k];
                        for (c, &v) in row.iter().enumerate() {
                            if v > best.0 || (v.is_nan() && !best.0.is_nan()) {
                                best = (v, r * w + j * s + c);
                            }
                        }
                    }
                    *o = best.0;
                    if train {
                        self.argmax[(p * oh + i) * ow + j] = (p * h * w + best.1) as u32;
                    }
                }
            }
        }
        y
    }

    // dx[argmax] += dy
    fn backward(&mut self, dy: &ArrayD<f32>, need_dx: bool) -> Option<ArrayD<f32>> {
        need_dx.then(|| {
            let mut dx = ArrayD::zeros(self.input_shape.clone());
            let dxs = flat_mut(&mut dx);
            for (&g, &k) in flat(dy).iter().zip(&self.argmax) {
                dxs[k as usize] += g;
            }
            dx
        })
    }
}
