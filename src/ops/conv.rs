//! 2-D convolution (PyTorch's `F.conv2d`: cross-correlation, zero padding, stride), forward and
//! backward, by im2col + GEMM, or by Winograd's F(2×2, 3×3) where that is faster. The same code
//! filters a photo and trains the network.

use super::gemm::MatRef;
use super::im2col::{col2im, im2col};
use super::kernels::Kernels;
use super::winograd;
use crate::error::{Error, Result};
use ndarray::{Array4, ArrayView1, ArrayView4};

/// The most floats [`conv2d`] makes for an output or a band of columns (1 GiB): what wasm can
/// surely grant beside the rest of the page.
const MAX_VALUES: usize = 1 << 28;

/// At most this many floats of im2col columns at once: a 4096×4096 photo is convolved a band of
/// output rows at a time instead of needing a 600 MB column matrix.
const COLS_BUDGET: usize = 1 << 20;

/// The sizes of one convolution, checked once: input (C,H,W), kernel KH×KW, stride, padding,
/// dilation (the spacing of the kernel's taps), and the output size
/// `OH = (H + 2·padding − dilation·(KH − 1) − 1) / stride + 1` (likewise OW).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeometry {
    pub in_channels: usize,
    pub height: usize,
    pub width: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl Conv2dGeometry {
    /// Without dilation.
    pub fn new(
        input: (usize, usize, usize),
        kernel: (usize, usize),
        stride: usize,
        padding: usize,
    ) -> Result<Self> {
        Self::dilated(input, kernel, stride, padding, 1)
    }

    pub fn dilated(
        (in_channels, height, width): (usize, usize, usize),
        (kernel_h, kernel_w): (usize, usize),
        stride: usize,
        padding: usize,
        dilation: usize,
    ) -> Result<Self> {
        if stride == 0 {
            return Err(Error::Invalid("stride must be at least 1".into()));
        }
        if dilation == 0 {
            return Err(Error::Invalid("dilation must be at least 1".into()));
        }
        if in_channels == 0 || height == 0 || width == 0 || kernel_h == 0 || kernel_w == 0 {
            return Err(crate::shape_err!(
                "conv2d needs non-empty input and kernel, got input {in_channels}×{height}×{width} and kernel {kernel_h}×{kernel_w}"
            ));
        }
        // Checked once here, so that every product the methods below take fits a usize.
        let too_large = || {
            crate::shape_err!(
                "input {in_channels}×{height}×{width} with padding {padding} and kernel {kernel_h}×{kernel_w} is too large"
            )
        };
        let padded = |side: usize| padding.checked_mul(2).and_then(|p| p.checked_add(side));
        let (ph, pw) = padded(height).zip(padded(width)).ok_or_else(too_large)?;
        // The span the taps cover: dilation·(K − 1) + 1.
        let span = |k: usize| dilation.checked_mul(k - 1).and_then(|v| v.checked_add(1));
        let (sh, sw) = span(kernel_h).zip(span(kernel_w)).ok_or_else(too_large)?;
        if sh > ph || sw > pw {
            let spans = if dilation > 1 {
                format!(" dilated by {dilation} spans {sh}×{sw}, which")
            } else {
                String::new()
            };
            return Err(crate::shape_err!(
                "kernel {kernel_h}×{kernel_w}{spans} is larger than the padded input {ph}×{pw}"
            ));
        }
        let (out_h, out_w) = ((ph - sh) / stride + 1, (pw - sw) / stride + 1);
        let fits = [
            [in_channels, kernel_h, kernel_w],
            [in_channels, height, width],
            [out_h, out_w, 1],
        ]
        .iter()
        .all(|dims| {
            dims.iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .is_some()
        });
        if !fits
            || (out_h * out_w)
                .checked_mul(in_channels * kernel_h * kernel_w)
                .is_none()
        {
            return Err(too_large());
        }
        Ok(Conv2dGeometry {
            in_channels,
            height,
            width,
            kernel_h,
            kernel_w,
            stride,
            padding,
            dilation,
            out_h,
            out_w,
        })
    }

    /// Floats of im2col columns a convolution works in at once (the GEMM path's band, or the
    /// direct path's output row): its scratch, for forward and again for backward.
    pub fn scratch_len(&self) -> usize {
        self.band_len().max(self.out_w)
    }

    /// Length of one receptive field, C·KH·KW: the GEMM's inner dimension.
    pub fn patch_len(&self) -> usize {
        self.in_channels * self.kernel_h * self.kernel_w
    }

    pub fn in_len(&self) -> usize {
        self.in_channels * self.height * self.width
    }

    pub fn out_len(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Patch row index → (channel, kernel row, kernel column).
    pub(crate) fn unpatch(&self, r: usize) -> (usize, usize, usize) {
        let kk = self.kernel_h * self.kernel_w;
        (r / kk, (r % kk) / self.kernel_w, r % self.kernel_w)
    }

    /// The input row under kernel row `kh` at output row `oh`, or None in the padding.
    #[inline]
    pub(crate) fn input_row(&self, oh: usize, kh: usize) -> Option<usize> {
        (oh * self.stride + kh * self.dilation)
            .checked_sub(self.padding)
            .filter(|&i| i < self.height)
    }

    /// For kernel column `kw`, the output columns whose input column lies inside the image (the
    /// others read padding), and the input column of the first of them.
    #[inline]
    pub(crate) fn inside_cols(&self, kw: usize) -> (std::ops::Range<usize>, usize) {
        let (s, p) = (self.stride, self.padding);
        // The tap's offset in the input.
        let kw = kw * self.dilation;
        // iw = ow·s + kw − p must satisfy 0 ≤ iw < W.
        let lo = p.saturating_sub(kw).div_ceil(s);
        let hi = (self.width + p)
            .saturating_sub(kw)
            .div_ceil(s)
            .min(self.out_w);
        if lo >= hi {
            // The whole row reads padding: no input column, and none to start from.
            return (0..0, 0);
        }
        (lo..hi, lo * s + kw - p)
    }

    /// Output rows in bands whose im2col columns fit in [`COLS_BUDGET`].
    fn row_bands(&self) -> impl Iterator<Item = std::ops::Range<usize>> {
        let per_band = (COLS_BUDGET / (self.patch_len() * self.out_w).max(1)).clamp(1, self.out_h);
        let out_h = self.out_h;
        (0..out_h)
            .step_by(per_band)
            .map(move |r| r..(r + per_band).min(out_h))
    }

    /// How many floats one band's im2col columns take.
    fn band_len(&self) -> usize {
        let rows = self.row_bands().next().map_or(0, |r| r.len());
        self.patch_len() * rows * self.out_w
    }
}

thread_local! {
    /// im2col columns and their gradient, reused across calls: a training step convolves dozens
    /// of times, and each band is fully overwritten before it is read.
    static SCRATCH: std::cell::RefCell<(Vec<f32>, Vec<f32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Runs `f` with scratch buffers of at least `a` and `b` floats.
fn with_scratch<R>(a: usize, b: usize, f: impl FnOnce(&mut [f32], &mut [f32]) -> R) -> R {
    SCRATCH.with_borrow_mut(|(x, y)| {
        for (v, len) in [(&mut *x, a), (&mut *y, b)] {
            if v.len() < len {
                v.resize(len, 0.0);
            }
        }
        f(&mut x[..a], &mut y[..b])
    })
}

/// y = conv2d(x, w) + b.
/// x is (N,C,H,W), w is (OC,C,KH,KW), b is (OC), y is (N,OC,OH,OW); all contiguous.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_forward(
    kernels: Kernels,
    x: &[f32],
    batch: usize,
    g: &Conv2dGeometry,
    w: &[f32],
    out_channels: usize,
    b: Option<&[f32]>,
    y: &mut [f32],
) {
    let (k, p) = (g.patch_len(), g.out_len());
    for yn in y.chunks_exact_mut(out_channels * p).take(batch) {
        for (oc, plane) in yn.chunks_exact_mut(p).enumerate() {
            plane.fill(b.map_or(0.0, |b| b[oc]));
        }
    }
    if winograd::runs(kernels, g, out_channels) {
        return winograd::conv2d_forward(kernels, x, batch, g, w, out_channels, y);
    }
    // One output channel at stride 1 (a photo filter): a GEMM with one row would waste most of
    // its tile, so slide the kernel directly.
    let direct = out_channels == 1 && g.stride == 1;
    let w_mat = MatRef::new(w, out_channels, k);
    // The direct path's scratch is one output row of sums; the GEMM path's, a band of columns.
    let band = if direct { g.out_w } else { g.band_len() };
    with_scratch(band, 0, |cols, _| {
        for (xn, yn) in x
            .chunks_exact(g.in_len())
            .zip(y.chunks_exact_mut(out_channels * p))
            .take(batch)
        {
            if direct {
                conv2d_direct(xn, g, w, yn, cols);
                continue;
            }
            for rows in g.row_bands() {
                let n = rows.len() * g.out_w;
                let cols = &mut cols[..k * n];
                im2col(xn, g, rows.clone(), cols);
                kernels.gemm(
                    w_mat,
                    MatRef::new(cols, k, n),
                    &mut yn[rows.start * g.out_w..],
                    p,
                    true,
                );
            }
        }
    });
}

/// y += conv2d(x, w) for one sample, one output channel, stride 1: each kernel weight scales a
/// run of an input row onto the output row (a loop the compiler vectorises). As in the GEMM,
/// each output sums its products in (c, kh, kw) order before the bias is added.
/// x is (C,H,W), w is (C·KH·KW), y is (OH·OW); `acc` holds OW sums.
fn conv2d_direct(x: &[f32], g: &Conv2dGeometry, w: &[f32], y: &mut [f32], acc: &mut [f32]) {
    for (oh, out_row) in y.chunks_exact_mut(g.out_w).enumerate() {
        acc.fill(0.0);
        for (r, &wr) in w.iter().enumerate().take(g.patch_len()) {
            let (c, kh, kw) = g.unpatch(r);
            let Some(ih) = g.input_row(oh, kh) else {
                continue;
            };
            let (valid, iw0) = g.inside_cols(kw);
            let src = &x[(c * g.height + ih) * g.width + iw0..];
            for (a, &v) in acc[valid].iter_mut().zip(src) {
                *a += wr * v;
            }
        }
        out_row
            .iter_mut()
            .zip(acc.iter())
            .for_each(|(o, a)| *o += a);
    }
}

/// Gradients of [`conv2d_forward`] from dy (N,OC,OH,OW):
/// `dw += Σₙ dyₙ · colsₙᵀ` (OC×P · P×CKK), `db += Σ dy` over N, OH, OW, and, when asked,
/// `dx = col2im(wᵀ · dyₙ)` (CKK×OC · OC×P), overwritten.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_backward(
    kernels: Kernels,
    x: &[f32],
    batch: usize,
    g: &Conv2dGeometry,
    w: &[f32],
    out_channels: usize,
    dy: &[f32],
    dw: &mut [f32],
    db: Option<&mut [f32]>,
    mut dx: Option<&mut [f32]>,
) {
    let (k, p) = (g.patch_len(), g.out_len());
    let wt = MatRef::new(w, out_channels, k).t();
    let band = g.band_len();
    if let Some(dx) = dx.as_deref_mut() {
        dx.fill(0.0);
    }
    // The input gradient by Winograd, after the weight gradient's loop, or here band by band.
    let winograd_dx = dx.is_some() && winograd::runs(kernels, g, out_channels);
    let mut dx_here = dx.as_deref_mut().filter(|_| !winograd_dx);
    let dcols_len = if dx_here.is_some() { band } else { 0 };
    with_scratch(band, dcols_len, |cols, dcols| {
        for (n, dyn_) in dy.chunks_exact(out_channels * p).take(batch).enumerate() {
            let xn = &x[n * g.in_len()..(n + 1) * g.in_len()];
            for rows in g.row_bands() {
                let width = rows.len() * g.out_w;
                let dy_band = MatRef {
                    data: &dyn_[rows.start * g.out_w..],
                    rows: out_channels,
                    cols: width,
                    row_stride: p,
                    col_stride: 1,
                };
                let cols = &mut cols[..k * width];
                im2col(xn, g, rows.clone(), cols);
                kernels.gemm(dy_band, MatRef::new(cols, k, width).t(), dw, k, true);
                if let Some(dx) = dx_here.as_deref_mut() {
                    let dcols = &mut dcols[..k * width];
                    kernels.gemm(wt, dy_band, dcols, width, false);
                    col2im(
                        dcols,
                        g,
                        rows.clone(),
                        &mut dx[n * g.in_len()..(n + 1) * g.in_len()],
                    );
                }
            }
        }
    });
    if let Some(dx) = dx.filter(|_| winograd_dx) {
        winograd::conv2d_input_grad(kernels, dy, batch, g, w, out_channels, dx);
    }
    if let Some(db) = db {
        for dyn_ in dy.chunks_exact(out_channels * p).take(batch) {
            for (d, plane) in db.iter_mut().zip(dyn_.chunks_exact(p)) {
                *d += plane.iter().sum::<f32>();
            }
        }
    }
}

/// Checked `F.conv2d(x, w, b, stride, padding)` on ndarrays: x (N,C,H,W), w (OC,C,KH,KW), b (OC).
/// Impossible shapes are an error, never a panic.
pub fn conv2d(
    x: ArrayView4<f32>,
    w: ArrayView4<f32>,
    b: Option<ArrayView1<f32>>,
    stride: usize,
    padding: usize,
) -> Result<Array4<f32>> {
    let (n, c, h, wd) = x.dim();
    let (oc, wc, kh, kw) = w.dim();
    if wc != c {
        return Err(crate::shape_err!(
            "weight {:?} expects {wc} input channels, input {:?} has {c}",
            w.shape(),
            x.shape()
        ));
    }
    if let Some(b) = &b {
        if b.len() != oc {
            return Err(crate::shape_err!(
                "bias has {} values for {oc} output channels",
                b.len()
            ));
        }
    }
    if oc == 0 {
        return Err(crate::shape_err!(
            "weight {:?} has no output channels",
            w.shape()
        ));
    }
    let g = Conv2dGeometry::new((c, h, wd), (kh, kw), stride, padding)?;
    let out_elems = n
        .checked_mul(oc)
        .and_then(|v| v.checked_mul(g.out_len()))
        .filter(|&v| v <= MAX_VALUES && g.scratch_len() <= MAX_VALUES)
        .ok_or_else(|| crate::shape_err!("output {n}×{oc}×{}×{} is too large", g.out_h, g.out_w))?;
    let x = x.as_standard_layout();
    let w = w.as_standard_layout();
    let b = b.map(|b| b.to_vec());
    let mut y = vec![0.0; out_elems];
    conv2d_forward(
        Kernels::default(),
        x.as_slice().expect("standard layout"),
        n,
        &g,
        w.as_slice().expect("standard layout"),
        oc,
        b.as_deref(),
        &mut y,
    );
    Ok(Array4::from_shape_vec((n, oc, g.out_h, g.out_w), y).expect("shape computed above"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The direct path (one output channel, stride 1) against the im2col + GEMM path: the same
    /// kernel twice as a two-channel output goes through the GEMM.
    #[test]
    fn direct_and_gemm_paths_agree() {
        let mut rng = Rng::new(3);
        for &(c, h, w, k, p) in &[
            (1, 9, 7, 3, 1),
            (3, 6, 11, 5, 2),
            (2, 5, 5, 3, 0),
            (1, 4, 4, 3, 4),
            (1, 1, 1, 5, 2),
            (2, 3, 1, 5, 2),
        ] {
            let g = Conv2dGeometry::new((c, h, w), (k, k), 1, p).unwrap();
            let x: Vec<f32> = (0..2 * g.in_len())
                .map(|_| rng.uniform(-1.0, 1.0))
                .collect();
            let wt: Vec<f32> = (0..g.patch_len()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let mut direct = vec![0.0; 2 * g.out_len()];
            let kernels = Kernels::default();
            conv2d_forward(kernels, &x, 2, &g, &wt, 1, Some(&[0.5]), &mut direct);
            let twice: Vec<f32> = wt.iter().chain(&wt).copied().collect();
            let mut via_gemm = vec![0.0; 4 * g.out_len()];
            let via = &mut via_gemm;
            conv2d_forward(kernels, &x, 2, &g, &twice, 2, Some(&[0.5, 0.5]), via);
            for n in 0..2 {
                let a = &direct[n * g.out_len()..(n + 1) * g.out_len()];
                let b = &via_gemm[2 * n * g.out_len()..(2 * n + 1) * g.out_len()];
                for (u, v) in a.iter().zip(b) {
                    assert!((u - v).abs() <= 1e-6, "c{c} {h}x{w} k{k} p{p}: {u} vs {v}");
                }
            }
        }
    }
}
