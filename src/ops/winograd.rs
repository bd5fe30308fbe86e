//! Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
//! Neural Networks", 2015): a 3×3 convolution at stride 1 over 4×4 input tiles, each giving a
//! 2×2 output tile from 16 multiplications per channel pair where the direct sum takes 36.
//!
//! `Y = Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A`: the kernels g and the input tiles d are transformed,
//! multiplied position by position — for each of the 16 positions ξ one GEMM, OC×C by C×tiles —
//! and the sums transformed back. The input gradient of a 3×3 convolution is one too (the kernel
//! turned half a circle, channels swapped), so it runs here as well.
//!
//! Its rounding is its own (the transforms add and halve around the products), so it runs only
//! where the GEMM rounds its own way anyway (not [`Kernels::strict`]); the strict path, whose
//! bits are the same run after run and build after build, stays im2col.

use super::conv::Conv2dGeometry;
use super::gemm::MatRef;
use super::kernels::{Conv3x3, Kernels};
use super::simd::F32x4;

/// Positions in a transformed 4×4 tile.
const XI: usize = 16;

/// Fewer channels than this on either side, and the 16 GEMMs are too thin (inner dimension C,
/// rows OC) to beat one im2col GEMM: `cnn-playground bench` times both on the tutorial's convs.
const MIN_CHANNELS: usize = 8;

/// At most this many floats of transformed input and products at once (1 MB, about an L2):
/// the batch's tiles are taken in chunks of this size.
const CHUNK_FLOATS: usize = 1 << 18;

/// The most floats of scratch one convolution may take here (16 MB); a larger one runs by
/// im2col, whose scratch is banded.
const MAX_SCRATCH: usize = 1 << 22;

/// Whether [`conv2d_forward`]'s convolution (and its input gradient) runs here: the kernels
/// are not strict, their [`Conv3x3`] says so, and it can ([`scratch_len`] is not 0). Checked on
/// every call, the cheap tests first.
pub fn runs(kernels: Kernels, g: &Conv2dGeometry, out_channels: usize) -> bool {
    !kernels.strict()
        && match kernels.conv3x3 {
            Conv3x3::Faster => g.in_channels.min(out_channels) >= MIN_CHANNELS,
            Conv3x3::Im2col => false,
            Conv3x3::Winograd => true,
        }
        && scratch_len(g, out_channels) > 0
}

/// The floats of scratch this convolution takes here at any batch, or 0 where it cannot run
/// here: taps other than 3×3, stride or dilation other than 1, padding over 2 (the gradient's
/// would be below 0), or more scratch than [`MAX_SCRATCH`].
pub fn scratch_len(g: &Conv2dGeometry, out_channels: usize) -> usize {
    let taps = (g.kernel_h, g.kernel_w, g.stride, g.dilation);
    if taps != (3, 3, 1, 1) || g.padding > 2 || out_channels == 0 {
        return 0;
    }
    let (forward, backward) = (
        Sizes::new(g, out_channels),
        Sizes::new(&transposed(g, out_channels), g.in_channels),
    );
    forward
        .zip(backward)
        .map(|(f, b)| f.scratch(usize::MAX).max(b.scratch(usize::MAX)))
        .filter(|&len| len <= MAX_SCRATCH)
        .unwrap_or(0)
}

/// y += conv2d(x, w): x (N,C,H,W), w (OC,C,3,3), y (N,OC,OH,OW), for a geometry that [`runs`].
pub fn conv2d_forward(
    kernels: Kernels,
    x: &[f32],
    batch: usize,
    g: &Conv2dGeometry,
    w: &[f32],
    out_channels: usize,
    y: &mut [f32],
) {
    convolve(
        kernels,
        x,
        batch,
        g,
        w,
        out_channels,
        false,
        CHUNK_FLOATS,
        y,
    );
}

/// dx += the input gradient of [`conv2d_forward`] from dy (N,OC,OH,OW): the correlation of dy
/// with the kernel turned 180°, input and output channels swapped, padding 2 − p.
pub fn conv2d_input_grad(
    kernels: Kernels,
    dy: &[f32],
    batch: usize,
    g: &Conv2dGeometry,
    w: &[f32],
    out_channels: usize,
    dx: &mut [f32],
) {
    convolve(
        kernels,
        dy,
        batch,
        &transposed(g, out_channels),
        w,
        g.in_channels,
        true,
        CHUNK_FLOATS,
        dx,
    );
}

/// The geometry of the input-gradient convolution: dy (OC,OH,OW) in, dx (C,H,W) out.
fn transposed(g: &Conv2dGeometry, out_channels: usize) -> Conv2dGeometry {
    let t = Conv2dGeometry::new((out_channels, g.out_h, g.out_w), (3, 3), 1, 2 - g.padding)
        .expect("a smaller convolution than one that was checked");
    debug_assert_eq!((t.out_h, t.out_w), (g.height, g.width));
    t
}

/// How one convolution's tiles are laid out: each tile row of an image holds one tile more
/// than the image has, past its right edge, so that a chunk's tiles are one long row whose
/// transforms run four tiles at a time straight through; that column is never written out.
#[derive(Clone, Copy)]
struct Sizes {
    in_channels: usize,
    out_channels: usize,
    /// Tile rows and tiles of an image per row (the extra one not counted).
    rows: usize,
    cols: usize,
    /// Input columns a tile row reads, zero-padded: 2·(cols + 1), so tile j starts at 2j.
    span: usize,
    /// Tiles of one image, the extra column included.
    per_image: usize,
    /// Floats of one image's transformed tiles and products.
    per_image_floats: usize,
}

impl Sizes {
    /// None where a size passes usize (never for a checked geometry within the layer limits).
    fn new(g: &Conv2dGeometry, out_channels: usize) -> Option<Self> {
        let (rows, cols) = (g.out_h.div_ceil(2), g.out_w.div_ceil(2));
        let per_image = rows.checked_mul(cols + 1)?;
        let per_image_floats = (XI * (g.in_channels + out_channels)).checked_mul(per_image)?;
        // The padded plane and the partial sums below stay within a few times that.
        per_image_floats.checked_mul(4)?;
        Some(Sizes {
            in_channels: g.in_channels,
            out_channels,
            rows,
            cols,
            span: 2 * (cols + 1),
            per_image,
            per_image_floats,
        })
    }

    /// Images a chunk of a batch of `batch` takes: as many as `chunk_floats` hold (at most
    /// [`CHUNK_FLOATS`]), at least one.
    fn images(&self, batch: usize, chunk_floats: usize) -> usize {
        (chunk_floats.min(CHUNK_FLOATS) / self.per_image_floats).clamp(1, batch.max(1))
    }

    /// A chunk's columns, a whole number of vectors.
    fn width(&self, images: usize) -> usize {
        (images * self.per_image).next_multiple_of(4)
    }

    /// The padded plane of one input channel, and a vector's slack.
    fn padded_len(&self) -> usize {
        (2 * self.rows + 2) * self.span + 4
    }

    /// The input transform's padded plane and four rows of sums, or the output's four rows.
    fn work_len(&self, width: usize) -> usize {
        (self.padded_len() + 4 * (2 * width + 4)).max(4 * width)
    }

    /// All [`convolve`] takes at a batch of `batch`: the transformed kernels, a chunk's
    /// transformed tiles and products, and the work rows.
    fn scratch(&self, batch: usize) -> usize {
        let (c, oc) = (self.in_channels, self.out_channels);
        let width = self.width(self.images(batch, CHUNK_FLOATS));
        XI * oc * c + XI * (c + oc) * width + self.work_len(width)
    }
}

thread_local! {
    /// Transformed kernels, input tiles and products, and rows of partial sums, reused.
    static SCRATCH: std::cell::RefCell<[Vec<f32>; 4]> = const {
        std::cell::RefCell::new([Vec::new(), Vec::new(), Vec::new(), Vec::new()])
    };
}

/// y += conv2d(x, k) for the 3×3 kernels k (OUT,IN,3,3): with `flip`, k is read from w
/// (IN,OUT,3,3) turned 180° (the input gradient's kernels). The batch is taken as many images
/// at a time as `chunk_floats` holds: tile t of a chunk is column t of each ξ's matrices.
#[allow(clippy::too_many_arguments)]
fn convolve(
    kernels: Kernels,
    x: &[f32],
    batch: usize,
    g: &Conv2dGeometry,
    w: &[f32],
    out_channels: usize,
    flip: bool,
    chunk_floats: usize,
    y: &mut [f32],
) {
    let (c, oc) = (g.in_channels, out_channels);
    let Some(t) = Sizes::new(g, out_channels).filter(|_| batch > 0) else {
        return;
    };
    let images = t.images(batch, chunk_floats);
    let width = t.width(images);
    let work_len = t.work_len(width);
    SCRATCH.with_borrow_mut(|[u, v, m, work]| {
        for (buf, len) in [
            (&mut *u, XI * oc * c),
            (v, XI * c * width),
            (m, XI * oc * width),
            (work, work_len),
        ] {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
        }
        transform_kernels(w, oc, c, flip, u);
        let (in_plane, out_plane) = (g.in_len() / c, g.out_len());
        for first in (0..batch).step_by(images) {
            let chunk = first..(first + images).min(batch);
            let n = (chunk.len() * t.per_image).next_multiple_of(4);
            let (v, m) = (&mut v[..XI * c * n], &mut m[..XI * oc * n]);
            for ch in 0..c {
                let planes = chunk
                    .clone()
                    .map(|img| &x[(img * c + ch) * in_plane..][..in_plane]);
                transform_input(
                    planes,
                    g,
                    t,
                    n,
                    &mut work[..work_len],
                    &mut v[ch * n..],
                    c * n,
                );
            }
            for xi in 0..XI {
                kernels.gemm(
                    MatRef::new(&u[xi * oc * c..], oc, c),
                    MatRef::new(&v[xi * c * n..], c, n),
                    &mut m[xi * oc * n..],
                    n,
                    false,
                );
            }
            for o in 0..oc {
                let planes = chunk
                    .clone()
                    .map(|img| (img * oc + o) * out_plane..(img * oc + o + 1) * out_plane);
                transform_output(&m[o * n..], oc * n, g, t, n, &mut work[..4 * n], y, planes);
            }
        }
    });
}

/// U = G g Gᵀ for every kernel, laid out as 16 matrices OUT×IN: `u[(ξ·OUT + o)·IN + i]`.
/// w is (oc,c,3,3), or with `flip` read as (c,oc,3,3) turned 180° with o and i swapped.
fn transform_kernels(w: &[f32], oc: usize, c: usize, flip: bool, u: &mut [f32]) {
    for (k, taps) in w.chunks_exact(9).take(oc * c).enumerate() {
        let (o, i) = if flip {
            (k % oc, k / oc)
        } else {
            (k / c, k % c)
        };
        let g: [f32; 9] = std::array::from_fn(|t| if flip { taps[8 - t] } else { taps[t] });
        // G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], on the rows, then on the columns.
        let rows = |a: f32, b: f32, c: f32| [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c];
        let gr: [[f32; 4]; 3] = std::array::from_fn(|r| rows(g[3 * r], g[3 * r + 1], g[3 * r + 2]));
        for col in 0..4 {
            let t = rows(gr[0][col], gr[1][col], gr[2][col]);
            for (row, &v) in t.iter().enumerate() {
                u[((4 * row + col) * oc + o) * c + i] = v;
            }
        }
    }
}

/// Bᵀ d B for every tile of a chunk's images, from one channel's (H,W) planes: tile J of ξ's
/// row at `v[ξ·stride + J]`, for the chunk's `n` columns. With Bᵀ = [1 0 −1 0; 0 1 1 0;
/// 0 −1 1 0; 0 1 0 −1], first down each tile row's four input rows, then across each tile's
/// four columns — the chunk's rows laid end to end, four tiles at a time.
fn transform_input<'a>(
    planes: impl Iterator<Item = &'a [f32]>,
    g: &Conv2dGeometry,
    t: Sizes,
    n: usize,
    work: &mut [f32],
    v: &mut [f32],
    stride: usize,
) {
    let (h, w, p, span) = (g.height, g.width, g.padding, t.span);
    let (padded, rows) = work.split_at_mut(t.padded_len());
    // Row a of every tile row of the chunk, end to end: 2n columns and the four a last tile reads.
    let row_len = 2 * n + 4;
    let mut sums: [&mut [f32]; 4] = {
        let (r0, rest) = rows.split_at_mut(row_len);
        let (r1, rest) = rest.split_at_mut(row_len);
        let (r2, rest) = rest.split_at_mut(row_len);
        [r0, r1, r2, &mut rest[..row_len]]
    };
    let mut filled = 0;
    for plane in planes {
        // The plane inside its zero padding: padded row r, column k is input (r − p, k − p).
        padded.fill(0.0);
        for (ih, src) in plane.chunks_exact(w).enumerate().take(h) {
            let dst = &mut padded[(ih + p) * span + p..][..w.min(span - p)];
            dst.copy_from_slice(&src[..dst.len()]);
        }
        // Four columns at a time: a row's last vector may run into the next padded row, and
        // its sums past the row's end are overwritten by the next tile row's (or zeroed below).
        for tr in 0..t.rows {
            for k in (0..span).step_by(4) {
                let d = |q: usize| F32x4::load(&padded[(2 * tr + q) * span + k..]);
                let (a, b, c, e) = (d(0), d(1), d(2), d(3));
                let [s0, s1, s2, s3] = &mut sums;
                (a - c).store(&mut s0[filled + k..]);
                (b + c).store(&mut s1[filled + k..]);
                (c - b).store(&mut s2[filled + k..]);
                (b - e).store(&mut s3[filled + k..]);
            }
            filled += span;
        }
    }
    for s in sums.iter_mut() {
        s[filled..].fill(0.0);
    }
    for (a, row) in sums.iter().enumerate() {
        let ranges = std::array::from_fn(|b| (4 * a + b) * stride..(4 * a + b) * stride + n);
        let [v0, v1, v2, v3] = v.get_disjoint_mut(ranges).expect("ξ's rows apart");
        // Tile J reads columns 2J … 2J + 3: four tiles at once are the even and odd columns
        // from 2J and from 2J + 2.
        for j in (0..n).step_by(4) {
            let half = |from: usize| {
                let (lo, hi) = (F32x4::load(&row[from..]), F32x4::load(&row[from + 4..]));
                (lo.evens(hi), lo.odds(hi))
            };
            let ((q0, q1), (q2, q3)) = (half(2 * j), half(2 * j + 2));
            (q0 - q2).store(&mut v0[j..]);
            (q1 + q2).store(&mut v1[j..]);
            (q2 - q1).store(&mut v2[j..]);
            (q1 - q3).store(&mut v3[j..]);
        }
    }
}

/// Aᵀ m A for every tile of a chunk, tile J of ξ's row at `m[ξ·stride + J]`, added onto the
/// (OH,OW) planes `planes` of y, the part inside each. With Aᵀ = [1 1 1 0; 0 1 −1 −1], across
/// each tile's columns, then down, four tiles at a time into `work` (four rows of n: the output
/// tile's top left, top right, bottom left, bottom right); then each tile row's pairs of
/// columns onto its two output rows.
#[allow(clippy::too_many_arguments)]
fn transform_output(
    m: &[f32],
    stride: usize,
    g: &Conv2dGeometry,
    t: Sizes,
    n: usize,
    work: &mut [f32],
    y: &mut [f32],
    planes: impl Iterator<Item = std::ops::Range<usize>>,
) {
    for j in (0..n).step_by(4) {
        let q = |xi: usize| F32x4::load(&m[xi * stride + j..]);
        // Across row a: (m₀ + m₁ + m₂, m₁ − m₂ − m₃).
        let across: [(F32x4, F32x4); 4] = std::array::from_fn(|a| {
            let (m0, m1, m2, m3) = (q(4 * a), q(4 * a + 1), q(4 * a + 2), q(4 * a + 3));
            (m0 + m1 + m2, m1 - m2 - m3)
        });
        let [s0, s1, s2, s3] = across;
        (s0.0 + s1.0 + s2.0).store(&mut work[j..]);
        (s0.1 + s1.1 + s2.1).store(&mut work[n + j..]);
        (s1.0 - s2.0 - s3.0).store(&mut work[2 * n + j..]);
        (s1.1 - s2.1 - s3.1).store(&mut work[3 * n + j..]);
    }
    let (ow, cols) = (g.out_w, t.cols);
    // Four tiles fill eight output columns, the left and right of each taking turns.
    let quads = (ow / 8).min(cols / 4) * 4;
    for (k, plane) in planes.enumerate() {
        let plane = &mut y[plane];
        for tr in 0..t.rows {
            let first = k * t.per_image + tr * (cols + 1);
            for r in 0..2 {
                let oh = 2 * tr + r;
                if oh >= g.out_h {
                    continue;
                }
                let left = &work[2 * r * n + first..][..cols];
                let right = &work[(2 * r + 1) * n + first..][..cols];
                let out = &mut plane[oh * ow..(oh + 1) * ow];
                for j in (0..quads).step_by(4) {
                    let (l, r) = (F32x4::load(&left[j..]), F32x4::load(&right[j..]));
                    let dst = &mut out[2 * j..];
                    (F32x4::load(dst) + l.zip_low(r)).store(dst);
                    let dst = &mut out[2 * j + 4..];
                    (F32x4::load(dst) + l.zip_high(r)).store(dst);
                }
                for j in quads..cols {
                    out[2 * j] += left[j];
                    if let Some(o) = out.get_mut(2 * j + 1) {
                        *o += right[j];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// y[n][o][oh][ow] = Σ x[n][i][oh+kh−p][ow+kw−p]·k[o][i][kh][kw], summed in f64.
    fn direct(x: &[f32], batch: usize, g: &Conv2dGeometry, k: &[f32], oc: usize) -> Vec<f32> {
        let (c, h, w, p) = (g.in_channels, g.height, g.width, g.padding);
        let mut y = vec![0.0; batch * oc * g.out_len()];
        for (idx, out) in y.iter_mut().enumerate() {
            let (n, o, oh, ow) = (
                idx / (oc * g.out_len()),
                idx / g.out_len() % oc,
                idx % g.out_len() / g.out_w,
                idx % g.out_w,
            );
            let mut sum = 0.0f64;
            for i in 0..c {
                for t in 0..9 {
                    let (ih, iw) = ((oh + t / 3).wrapping_sub(p), (ow + t % 3).wrapping_sub(p));
                    if ih < h && iw < w {
                        let xv = x[((n * c + i) * h + ih) * w + iw] as f64;
                        sum += xv * k[(o * c + i) * 9 + t] as f64;
                    }
                }
            }
            *out = sum as f32;
        }
        y
    }

    /// Forward and input gradient against the direct sums, across paddings, odd sides (a last
    /// tile half outside), a batch, and chunks that split images.
    #[test]
    fn matches_the_direct_sum_forward_and_input_gradient() {
        let mut rng = Rng::new(7);
        let mut random =
            |len: usize| -> Vec<f32> { (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect() };
        for &(batch, c, oc, h, w, p, chunk) in &[
            (2, 16, 32, 14, 14, 1, CHUNK_FLOATS),
            (3, 8, 8, 7, 9, 0, CHUNK_FLOATS),
            (1, 9, 11, 5, 6, 2, CHUNK_FLOATS),
            (2, 8, 12, 13, 11, 1, XI * 20 * 5),
            (1, 3, 2, 3, 3, 1, 1),
            (3, 8, 9, 20, 19, 1, XI * 17 * 130),
            (1, 8, 8, 18, 21, 0, CHUNK_FLOATS),
        ] {
            let g = Conv2dGeometry::new((c, h, w), (3, 3), 1, p).unwrap();
            let x = random(batch * g.in_len());
            let k = random(oc * g.patch_len());
            let dy = random(batch * oc * g.out_len());
            let close = |a: &[f32], b: &[f32], what: &str| {
                assert_eq!(a.len(), b.len());
                for (i, (u, v)) in a.iter().zip(b).enumerate() {
                    assert!(
                        (u - v).abs() <= 1e-5 * (1.0 + v.abs()),
                        "{what} c{c} oc{oc} {h}x{w} p{p} at {i}: {u} vs {v}"
                    );
                }
            };

            let mut y = vec![0.5; batch * oc * g.out_len()];
            convolve(
                Kernels::FASTEST,
                &x,
                batch,
                &g,
                &k,
                oc,
                false,
                chunk,
                &mut y,
            );
            let want: Vec<f32> = direct(&x, batch, &g, &k, oc)
                .iter()
                .map(|v| v + 0.5)
                .collect();
            close(&y, &want, "forward");

            // The input gradient is the direct sum over dy with the kernel turned and transposed.
            let t = transposed(&g, oc);
            let turned: Vec<f32> = (0..c * oc * 9)
                .map(|idx| {
                    let (i, o, tap) = (idx / (oc * 9), idx / 9 % oc, idx % 9);
                    k[(o * c + i) * 9 + 8 - tap]
                })
                .collect();
            let mut dx = vec![0.0; x.len()];
            convolve(
                Kernels::FASTEST,
                &dy,
                batch,
                &t,
                &k,
                c,
                true,
                chunk,
                &mut dx,
            );
            close(&dx, &direct(&dy, batch, &t, &turned, c), "input gradient");
            // And it is the adjoint of the forward: ⟨conv(x), dy⟩ = ⟨x, dx⟩.
            let dot = |a: &[f32], b: &[f32]| {
                a.iter()
                    .zip(b)
                    .map(|(&u, &v)| u as f64 * v as f64)
                    .sum::<f64>()
            };
            let (lhs, rhs) = (dot(&direct(&x, batch, &g, &k, oc), &dy), dot(&x, &dx));
            assert!(
                (lhs - rhs).abs() <= 1e-4 * lhs.abs().max(1.0),
                "adjoint: {lhs} vs {rhs}"
            );
        }
    }
}
