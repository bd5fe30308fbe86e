//! What the k×k pooling layers share: the window's sizes checked against the input by PyTorch's
//! rules, the output size (floor mode), and each output's window clipped to the input.

use super::plan::image;
use crate::error::{Error, Result};
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolWindow {
    /// Per-sample input (C,H,W) and output (OH,OW).
    pub input: (usize, usize, usize),
    pub output: (usize, usize),
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl PoolWindow {
    /// For a per-sample `input` (C,H,W); `kernel` and `stride` at least 1. The padding may be
    /// at most half the kernel (so that every window holds an input), and the window must fit
    /// the padded input.
    pub fn new(input: &[usize], kernel: usize, stride: usize, padding: usize) -> Result<Self> {
        let (c, h, w) = image(input)?;
        let (k, s, p) = (kernel, stride, padding);
        if k == 0 || s == 0 {
            return Err(Error::Invalid(format!(
                "a pool needs a kernel and a stride of at least 1, got {k} and {s}"
            )));
        }
        if p > k / 2 {
            return Err(Error::Invalid(format!(
                "padding {p} is more than half the kernel size {k}"
            )));
        }
        if k > h + 2 * p || k > w + 2 * p {
            return Err(Error::Invalid(format!(
                "a {k}×{k} pool does not fit a {h}×{w} input padded by {p}"
            )));
        }
        let out = |size: usize| (size + 2 * p - k) / s + 1;
        Ok(PoolWindow {
            input: (c, h, w),
            output: (out(h), out(w)),
            kernel: k,
            stride: s,
            padding: p,
        })
    }

    /// Per-sample output (C,OH,OW).
    pub fn output_shape(&self) -> [usize; 3] {
        [self.input.0, self.output.0, self.output.1]
    }

    /// The input rows (or columns) of output `o`'s window along a side of `size`, the padding
    /// left out.
    #[inline]
    pub fn span(&self, o: usize, size: usize) -> Range<usize> {
        let start = o * self.stride;
        start.saturating_sub(self.padding)..(start + self.kernel - self.padding).min(size)
    }
}
