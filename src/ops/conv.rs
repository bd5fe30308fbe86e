//! 2-D convolution (PyTorch's `F.conv2d`: cross-correlation, zero padding, stride), forward and
//! backward, by im2col + GEMM. The same code filters a photo and trains the network.

use super::gemm::{gemm, MatRef};
use super::im2col::{col2im, im2col};
use crate::error::{Error, Result};
use ndarray::{Array4, ArrayView1, ArrayView4};

/// At most this many floats of im2col columns at once: a 4096×4096 photo is convolved a band of
/// output rows at a time instead of needing a 600 MB column matrix.
const COLS_BUDGET: usize = 1 << 20;

/// The sizes of one convolution, checked once: input (C,H,W), kernel KH×KW, stride, padding,
/// and the output size `OH = (H + 2·padding − KH) / stride + 1` (likewise OW).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeometry {
    pub in_channels: usize,
    pub height: usize,
    pub width: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride: usize,
    pub padding: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl Conv2dGeometry {
    pub fn new(
        (in_channels, height, width): (usize, usize, usize),
        (kernel_h, kernel_w): (usize, usize),
        stride: usize,
        padding: usize,
    ) -> Result<Self> {
        if stride == 0 {
            return Err(Error::Invalid("stride must be at least 1".into()));
        }
        if in_channels == 0 || height == 0 || width == 0 || kernel_h == 0 || kernel_w == 0 {
            return Err(crate::shape_err!(
                "conv2d needs non-empty input and kernel, got input {in_channels}×{height}×{width} and kernel {kernel_h}×{kernel_w}"
            ));
        }
        let (ph, pw) = (height + 2 * padding, width + 2 * padding);
        if kernel_h > ph || kernel_w > pw {
            return Err(crate::shape_err!(
                "kernel {kernel_h}×{kernel_w} is larger than the padded input {ph}×{pw}"
            ));
        }
        Ok(Conv2dGeometry {
            in_channels,
            height,
            width,
            kernel_h,
            kernel_w,
            stride,
            padding,
            out_h: (ph - kernel_h) / stride + 1,
            out_w: (pw - kernel_w) / stride + 1,
        })
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
        (oh * self.stride + kh)
            .checked_sub(self.padding)
            .filter(|&i| i < self.height)
    }

    /// Output rows in bands whose im2col columns fit in [`COLS_BUDGET`].
    fn row_bands(&self) -> impl Iterator<Item = std::ops::Range<usize>> {
        let per_band = (COLS_BUDGET / (self.patch_len() * self.out_w).max(1)).clamp(1, self.out_h);
        let out_h = self.out_h;
        (0..out_h)
            .step_by(per_band)
            .map(move |r| r..(r + per_band).min(out_h))
    }

    fn band_cols(&self) -> Vec<f32> {
        let rows = self.row_bands().next().map_or(0, |r| r.len());
        vec![0.0; self.patch_len() * rows * self.out_w]
    }
}

/// y = conv2d(x, w) + b.
/// x is (N,C,H,W), w is (OC,C,KH,KW), b is (OC), y is (N,OC,OH,OW); all contiguous.
pub fn conv2d_forward(
    x: &[f32],
    batch: usize,
    g: &Conv2dGeometry,
    w: &[f32],
    out_channels: usize,
    b: Option<&[f32]>,
    y: &mut [f32],
) {
    let (k, p) = (g.patch_len(), g.out_len());
    let w = MatRef::new(w, out_channels, k);
    let mut cols = g.band_cols();
    for (xn, yn) in x
        .chunks_exact(g.in_len())
        .zip(y.chunks_exact_mut(out_channels * p))
        .take(batch)
    {
        for (oc, plane) in yn.chunks_exact_mut(p).enumerate() {
            plane.fill(b.map_or(0.0, |b| b[oc]));
        }
        for rows in g.row_bands() {
            let cols = &mut cols[..k * rows.len() * g.out_w];
            im2col(xn, g, rows.clone(), cols);
            let n = rows.len() * g.out_w;
            gemm(
                w,
                MatRef::new(cols, k, n),
                &mut yn[rows.start * g.out_w..],
                p,
                true,
            );
        }
    }
}

/// Gradients of [`conv2d_forward`] from dy (N,OC,OH,OW):
/// `dw += Σₙ dyₙ · colsₙᵀ` (OC×P · P×CKK), `db += Σ dy` over N, OH, OW, and, when asked,
/// `dx = col2im(wᵀ · dyₙ)` (CKK×OC · OC×P), overwritten.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_backward(
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
    let mut cols = g.band_cols();
    let mut dcols = dx.as_ref().map(|_| g.band_cols());
    if let Some(dx) = dx.as_deref_mut() {
        dx.fill(0.0);
    }
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
            gemm(dy_band, MatRef::new(cols, k, width).t(), dw, k, true);
            if let (Some(dx), Some(dcols)) = (dx.as_deref_mut(), dcols.as_mut()) {
                let dcols = &mut dcols[..k * width];
                gemm(wt, dy_band, dcols, width, false);
                col2im(
                    dcols,
                    g,
                    rows.clone(),
                    &mut dx[n * g.in_len()..(n + 1) * g.in_len()],
                );
            }
        }
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
        .filter(|&v| v <= i32::MAX as usize)
        .ok_or_else(|| crate::shape_err!("output {n}×{oc}×{}×{} is too large", g.out_h, g.out_w))?;
    let x = x.as_standard_layout();
    let w = w.as_standard_layout();
    let b = b.map(|b| b.to_vec());
    let mut y = vec![0.0; out_elems];
    conv2d_forward(
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
