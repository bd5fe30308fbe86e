//! Single-precision matrix multiply, `C = A·B` or `C += A·B`, the kernel under every conv and
//! linear layer.
//!
//! The classic packed design (Goto / BLIS): blocks of A and B are copied into small contiguous
//! panels so the inner micro-kernel streams through memory in order and keeps an `MR×NR` tile of
//! C in registers. Transposes cost nothing: a [`MatRef`] is a view with a row and a column stride,
//! and packing reads through them.
//!
//! Natively on x86-64 with AVX2 and FMA (checked at run time), fused kernels in 8-lane registers
//! take two B panels at once (a 4×16 tile), or two A panels where one B panel is left (8×8),
//! unless the caller asks for the strict kernel ([`crate::ops::Kernels`]), whose bits equal the
//! browser's SIMD builds'.

use super::simd::F32x4;

/// Rows of C held in registers by the micro-kernel.
const MR: usize = 4;
/// Columns of C held in registers by the micro-kernel (two 4-lane vectors).
const NR: usize = 8;
/// Depth of one packed block: A and B panels of this depth stay in L1/L2.
const KC: usize = 256;
/// Rows of A packed at once.
const MC: usize = 64;

/// A read-only strided view of a row-major or transposed matrix: element `(i, j)` is
/// `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows×cols` matrix.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        debug_assert!(data.len() >= rows * cols);
        MatRef {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, as a view.
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }
}

/// `C = A·B` (or `C += A·B` when `accumulate`), C row-major `m×n` with leading dimension `ldc`;
/// A is `m×k`, B is `k×n`. With the fused kernel when `fused` (and [`fused_available`]):
/// callers ask through [`crate::ops::Kernels::gemm`].
pub fn gemm(a: MatRef, b: MatRef, c: &mut [f32], ldc: usize, accumulate: bool, fused: bool) {
    let fused = fused && fused::available();
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm: inner dimensions differ");
    assert!(
        ldc >= n && (m == 0 || c.len() >= (m - 1) * ldc + n),
        "gemm: C too small"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * ldc..i * ldc + n].fill(0.0);
            }
        }
        return;
    }
    if m < MR && a.col_stride == 1 && b.row_stride == 1 {
        // A few rows against a transposed B (a linear layer on one image): dot products of
        // contiguous rows, instead of packing all of B for a tile that is mostly padding.
        return gemm_dots(a, b, c, ldc, accumulate);
    }
    let n_panels = n.div_ceil(NR);
    PACKS.with_borrow_mut(|(a_pack, b_pack)| {
        // Packing overwrites every element it uses: growing the buffers is all they need.
        grow(b_pack, KC.min(k) * n_panels * NR);
        grow(a_pack, KC.min(k) * MC.div_ceil(MR) * MR);
        gemm_packed(a, b, c, ldc, accumulate, fused, a_pack, b_pack);
    });
}

/// Whether this machine has the fused kernel (x86-64 with AVX2 and FMA).
pub fn fused_available() -> bool {
    fused::available()
}

/// C = A·B row by row as dot products, for A with contiguous rows and B with contiguous columns.
/// Four columns at a time: four independent sums keep the adder busy where one would wait on
/// its own latency (batch-1 inference spends most of its time here, in fc1).
fn gemm_dots(a: MatRef, b: MatRef, c: &mut [f32], ldc: usize, accumulate: bool) {
    let k = a.cols;
    let col = |j: usize| &b.data[j * b.col_stride..j * b.col_stride + k];
    for i in 0..a.rows {
        let row = &a.data[i * a.row_stride..i * a.row_stride + k];
        let out = &mut c[i * ldc..i * ldc + b.cols];
        let quads = b.cols / 4 * 4;
        for j in (0..quads).step_by(4) {
            let d = dot4(row, [col(j), col(j + 1), col(j + 2), col(j + 3)]);
            for (o, d) in out[j..j + 4].iter_mut().zip(d) {
                *o = if accumulate { *o + d } else { d };
            }
        }
        for (j, o) in out.iter_mut().enumerate().skip(quads) {
            let d = dot(row, col(j));
            *o = if accumulate { *o + d } else { d };
        }
    }
}

/// Σ x·y with four lanes of partial sums, then the lanes and the tail in order.
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = F32x4::zero();
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    for (a, b) in xc.zip(yc) {
        acc = acc.mul_add(F32x4::load(a), F32x4::load(b));
    }
    finish_dot(acc, x, y)
}

/// [`dot`] of `x` with four vectors at once, each summed exactly as `dot` sums it.
fn dot4(x: &[f32], ys: [&[f32]; 4]) -> [f32; 4] {
    let mut acc = [F32x4::zero(); 4];
    let body = x.len() / 4 * 4;
    for at in (0..body).step_by(4) {
        let xv = F32x4::load(&x[at..]);
        for (acc, y) in acc.iter_mut().zip(ys) {
            *acc = acc.mul_add(xv, F32x4::load(&y[at..]));
        }
    }
    [0, 1, 2, 3].map(|n| finish_dot(acc[n], x, ys[n]))
}

/// A dot product's lanes of partial sums, added in order, plus the elements past the last four.
fn finish_dot(acc: F32x4, x: &[f32], y: &[f32]) -> f32 {
    let body = x.len() / 4 * 4;
    let mut lanes = [0.0f32; 4];
    acc.store(&mut lanes);
    let tail: f32 = x[body..].iter().zip(&y[body..]).map(|(a, b)| a * b).sum();
    lanes[0] + lanes[1] + lanes[2] + lanes[3] + tail
}

thread_local! {
    /// The packed panels of A and B, reused from call to call (a training step makes hundreds).
    static PACKS: std::cell::RefCell<(Vec<f32>, Vec<f32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

fn grow(v: &mut Vec<f32>, len: usize) {
    if v.len() < len {
        v.resize(len, 0.0);
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm_packed(
    a: MatRef,
    b: MatRef,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
    fused: bool,
    a_pack: &mut [f32],
    b_pack: &mut [f32],
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let n_panels = n.div_ceil(NR);
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        pack_b(&b, p0, kc, b_pack);
        let acc = accumulate || p0 > 0;
        for i0 in (0..m).step_by(MC) {
            let mc = MC.min(m - i0);
            pack_a(&a, i0, mc, p0, kc, a_pack);
            let a_panels = mc.div_ceil(MR);
            let a_panel = |ip: usize| &a_pack[ip * kc * MR..(ip + 1) * kc * MR];
            let b_panel = |jp: usize| &b_pack[jp * kc * NR..(jp + 1) * kc * NR];
            let mut jp = 0;
            while jp < n_panels {
                let j = jp * NR;
                if fused && jp + 1 < n_panels {
                    // Two B panels at once: a 4×16 tile per A panel.
                    let nr = (2 * NR).min(n - j);
                    let (b0, b1) = (b_panel(jp), b_panel(jp + 1));
                    for ip in 0..a_panels {
                        let tile = fused::tile_wide(kc, a_panel(ip), b0, b1);
                        store(c, ldc, i0 + ip * MR, j, m, nr, acc, &tile);
                    }
                    jp += 2;
                    continue;
                }
                let nr = NR.min(n - j);
                let mut ip = 0;
                while ip < a_panels {
                    let i = i0 + ip * MR;
                    if fused && ip + 1 < a_panels {
                        let tile = fused::tile(kc, a_panel(ip), a_panel(ip + 1), b_panel(jp));
                        store(c, ldc, i, j, m, nr, acc, &tile);
                        ip += 2;
                    } else {
                        let tile = micro_kernel(kc, a_panel(ip), b_panel(jp));
                        store(c, ldc, i, j, m, nr, acc, &tile);
                        ip += 1;
                    }
                }
                jp += 1;
            }
        }
    }
}

/// Rows of `tile` into C from row `i`, column `j` on: as many rows as C has (`m`), `nr` columns;
/// added to C when `acc`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn store<const W: usize>(
    c: &mut [f32],
    ldc: usize,
    i: usize,
    j: usize,
    m: usize,
    nr: usize,
    acc: bool,
    tile: &[[f32; W]],
) {
    for (r, tile_row) in tile.iter().enumerate().take(m - i) {
        let row = &mut c[(i + r) * ldc + j..(i + r) * ldc + j + nr];
        if acc {
            row.iter_mut().zip(tile_row).for_each(|(c, t)| *c += t);
        } else if let Ok(row) = <&mut [f32; W]>::try_from(&mut *row) {
            // A whole tile row: a constant length, so the copy is inlined (a call to memmove per
            // row costs as much as a short GEMM's multiply-adds).
            *row = *tile_row;
        } else {
            row.copy_from_slice(&tile_row[..nr]);
        }
    }
}

/// B[p0..p0+kc, :] into panels of NR columns, each `kc×NR` row-major, zero-padded on the right.
fn pack_b(b: &MatRef, p0: usize, kc: usize, out: &mut [f32]) {
    let n = b.cols;
    for (jp, panel) in out
        .chunks_exact_mut(kc * NR)
        .take(n.div_ceil(NR))
        .enumerate()
    {
        let j0 = jp * NR;
        let nr = NR.min(n - j0);
        if b.col_stride == 1 {
            // Rows of B are contiguous: copy NR at a time.
            for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
                let start = (p0 + p) * b.row_stride + j0;
                if nr == NR {
                    // A constant length lets the compiler inline the copy instead of calling memmove.
                    let dst: &mut [f32; NR] = dst.try_into().expect("NR wide");
                    *dst = b.data[start..start + NR].try_into().expect("NR wide");
                } else {
                    dst[..nr].copy_from_slice(&b.data[start..start + nr]);
                    dst[nr..].fill(0.0);
                }
            }
        } else {
            // A transposed B: its columns are contiguous; read each once, write it strided.
            if nr < NR {
                panel.fill(0.0);
            }
            for jj in 0..nr {
                let start = (j0 + jj) * b.col_stride + p0 * b.row_stride;
                if b.row_stride == 1 {
                    for (dst, &v) in panel.chunks_exact_mut(NR).zip(&b.data[start..start + kc]) {
                        dst[jj] = v;
                    }
                } else {
                    for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
                        dst[jj] = b.data[start + p * b.row_stride];
                    }
                }
            }
        }
    }
}

/// A[i0..i0+mc, p0..p0+kc] into panels of MR rows, each stored `kc×MR` (column by column),
/// zero-padded at the bottom.
fn pack_a(a: &MatRef, i0: usize, mc: usize, p0: usize, kc: usize, out: &mut [f32]) {
    for (ip, panel) in out
        .chunks_exact_mut(kc * MR)
        .take(mc.div_ceil(MR))
        .enumerate()
    {
        let i = i0 + ip * MR;
        let mr = MR.min(i0 + mc - i);
        if mr < MR {
            panel.fill(0.0);
        }
        if a.row_stride == 1 {
            // A transposed: a column of A (MR consecutive rows) is contiguous.
            for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                let start = (p0 + p) * a.col_stride + i;
                if mr == MR {
                    let dst: &mut [f32; MR] = dst.try_into().expect("MR wide");
                    *dst = a.data[start..start + MR].try_into().expect("MR wide");
                } else {
                    dst[..mr].copy_from_slice(&a.data[start..start + mr]);
                }
            }
        } else {
            for r in 0..mr {
                let start = (i + r) * a.row_stride + p0 * a.col_stride;
                for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                    dst[r] = a.data[start + p * a.col_stride];
                }
            }
        }
    }
}

/// One `MR×NR` tile of A·B from a packed A panel (`kc×MR`) and B panel (`kc×NR`): each row of
/// the tile is two 4-lane accumulators. Every element is a sum over k in order, multiply then
/// add (fused in the relaxed-SIMD build), so the result does not depend on the vector width.
#[inline(always)]
fn micro_kernel(kc: usize, a: &[f32], b: &[f32]) -> [[f32; NR]; MR] {
    const V: usize = NR / 4;
    let mut acc = [[F32x4::zero(); V]; MR];
    const _: () = assert!(MR == 4, "a column of the A panel is one vector");
    for (a_col, b_row) in a.chunks_exact(MR).zip(b.chunks_exact(NR)).take(kc) {
        let bv: [F32x4; V] = std::array::from_fn(|v| F32x4::load(&b_row[4 * v..4 * v + 4]));
        let av = F32x4::load(a_col);
        let rows = [
            av.lane::<0>(),
            av.lane::<1>(),
            av.lane::<2>(),
            av.lane::<3>(),
        ];
        for (acc_row, ar) in acc.iter_mut().zip(rows) {
            for (acc_v, &b_v) in acc_row.iter_mut().zip(&bv) {
                *acc_v = acc_v.mul_add(ar, b_v);
            }
        }
    }
    let mut tile = [[0.0f32; NR]; MR];
    for (row, acc_row) in tile.iter_mut().zip(&acc) {
        for (v, acc_v) in acc_row.iter().enumerate() {
            acc_v.store(&mut row[4 * v..4 * v + 4]);
        }
    }
    tile
}

/// The fused kernels: two `MR×NR` tiles at once, from one A panel against two B panels (each
/// row two 8-lane registers: two B loads feed eight multiply-adds) or from two A panels against
/// one B panel, accumulated with fused multiply-adds.
#[cfg(target_arch = "x86_64")]
mod fused {
    use super::{MR, NR};
    use core::arch::x86_64::*;
    use std::sync::OnceLock;

    const _: () = assert!(
        NR == 8 && MR == 4,
        "the fused kernel holds a row in one __m256"
    );

    pub fn available() -> bool {
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE
            .get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
    }

    /// The `2·MR×NR` tile of A·B for the A panels `a0` and `a1` (each `kc×MR`) and the B panel
    /// `b` (`kc×NR`). Call only where [`available`] says so.
    pub fn tile(kc: usize, a0: &[f32], a1: &[f32], b: &[f32]) -> [[f32; NR]; 2 * MR] {
        assert!(available() && a0.len() >= kc * MR && a1.len() >= kc * MR && b.len() >= kc * NR);
        // SAFETY: the CPU has AVX2 and FMA, and the panels hold kc rows each: checked above.
        unsafe { tile_avx2(kc, a0.as_ptr(), a1.as_ptr(), b.as_ptr()) }
    }

    /// The `MR×2·NR` tile of A·B for the A panel `a` and the B panels `b0` and `b1` side by
    /// side. Call only where [`available`] says so.
    pub fn tile_wide(kc: usize, a: &[f32], b0: &[f32], b1: &[f32]) -> [[f32; 2 * NR]; MR] {
        assert!(available() && a.len() >= kc * MR && b0.len() >= kc * NR && b1.len() >= kc * NR);
        // SAFETY: the CPU has AVX2 and FMA, and the panels hold kc rows each: checked above.
        unsafe { tile_wide_avx2(kc, a.as_ptr(), b0.as_ptr(), b1.as_ptr()) }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_wide_avx2(
        kc: usize,
        a: *const f32,
        b0: *const f32,
        b1: *const f32,
    ) -> [[f32; 2 * NR]; MR] {
        let mut acc = [[_mm256_setzero_ps(); 2]; MR];
        for p in 0..kc {
            // SAFETY (the pointer arithmetic): p < kc, within the lengths `tile_wide` checked.
            let (v0, v1) = unsafe {
                (
                    _mm256_loadu_ps(b0.add(p * NR)),
                    _mm256_loadu_ps(b1.add(p * NR)),
                )
            };
            for (r, acc_row) in acc.iter_mut().enumerate() {
                let x = _mm256_set1_ps(unsafe { *a.add(p * MR + r) });
                acc_row[0] = _mm256_fmadd_ps(x, v0, acc_row[0]);
                acc_row[1] = _mm256_fmadd_ps(x, v1, acc_row[1]);
            }
        }
        let mut tile = [[0.0f32; 2 * NR]; MR];
        for (row, [v0, v1]) in tile.iter_mut().zip(acc) {
            // SAFETY: a row holds 2·NR = 16 floats.
            unsafe {
                _mm256_storeu_ps(row.as_mut_ptr(), v0);
                _mm256_storeu_ps(row.as_mut_ptr().add(NR), v1);
            }
        }
        tile
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_avx2(
        kc: usize,
        a0: *const f32,
        a1: *const f32,
        b: *const f32,
    ) -> [[f32; NR]; 2 * MR] {
        let mut acc = [_mm256_setzero_ps(); 2 * MR];
        for p in 0..kc {
            // SAFETY (the pointer arithmetic): p < kc, within the lengths `tile` checked.
            let bv = unsafe { _mm256_loadu_ps(b.add(p * NR)) };
            for r in 0..MR {
                let (x0, x1) = unsafe { (*a0.add(p * MR + r), *a1.add(p * MR + r)) };
                acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(x0), bv, acc[r]);
                acc[MR + r] = _mm256_fmadd_ps(_mm256_set1_ps(x1), bv, acc[MR + r]);
            }
        }
        let mut tile = [[0.0f32; NR]; 2 * MR];
        for (row, v) in tile.iter_mut().zip(acc) {
            // SAFETY: a row holds NR = 8 floats.
            unsafe { _mm256_storeu_ps(row.as_mut_ptr(), v) };
        }
        tile
    }
}

/// Elsewhere there is no fused kernel: the strict one runs.
#[cfg(not(target_arch = "x86_64"))]
mod fused {
    use super::{MR, NR};

    pub fn available() -> bool {
        false
    }

    pub fn tile(_: usize, _: &[f32], _: &[f32], _: &[f32]) -> [[f32; NR]; 2 * MR] {
        unreachable!("no fused kernel on this target")
    }

    pub fn tile_wide(_: usize, _: &[f32], _: &[f32], _: &[f32]) -> [[f32; 2 * NR]; MR] {
        unreachable!("no fused kernel on this target")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn at(m: &MatRef, i: usize, j: usize) -> f32 {
        m.data[i * m.row_stride + j * m.col_stride]
    }

    fn naive(a: MatRef, b: MatRef) -> Vec<f32> {
        let mut c = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                let mut s = 0.0f64;
                for p in 0..a.cols {
                    s += at(&a, i, p) as f64 * at(&b, p, j) as f64;
                }
                c[i * b.cols + j] = s as f32;
            }
        }
        c
    }

    #[test]
    fn matches_naive_for_all_transposes_and_ragged_sizes() {
        for fused in [false, fused::available()] {
            matches_naive(fused);
        }
    }

    fn matches_naive(fused: bool) {
        let mut rng = Rng::new(7);
        for &(m, k, n) in &[
            (1, 1, 1),
            (5, 3, 9),
            (17, 300, 13),
            (64, 513, 33),
            (4, 8, 8),
            (3, 37, 11),
            (1, 1568, 10),
            (12, 70, 20),
        ] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a_data: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
                let b_data: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
                let a = if ta {
                    MatRef::new(&a_data, k, m).t()
                } else {
                    MatRef::new(&a_data, m, k)
                };
                let b = if tb {
                    MatRef::new(&b_data, n, k).t()
                } else {
                    MatRef::new(&b_data, k, n)
                };
                let want = naive(a, b);
                let mut c = vec![1.0; m * n];
                gemm(a, b, &mut c, n, false, fused);
                for (x, y) in c.iter().zip(&want) {
                    assert!(
                        (x - y).abs() < 1e-4,
                        "{m}x{k}x{n} ta={ta} tb={tb} fused={fused}: {x} vs {y}"
                    );
                }
                gemm(a, b, &mut c, n, true, fused);
                for (x, y) in c.iter().zip(&want) {
                    assert!((x - 2.0 * y).abs() < 2e-4, "accumulate {m}x{k}x{n}");
                }
            }
        }
    }

    #[test]
    fn four_dots_at_once_sum_exactly_as_one() {
        let mut rng = Rng::new(8);
        for k in [1, 4, 7, 1568] {
            let v: Vec<Vec<f32>> = (0..5)
                .map(|_| (0..k).map(|_| rng.uniform(-1.0, 1.0)).collect())
                .collect();
            let four = dot4(&v[0], [&v[1], &v[2], &v[3], &v[4]]);
            for (n, d) in four.iter().enumerate() {
                assert_eq!(d.to_bits(), dot(&v[0], &v[n + 1]).to_bits(), "k {k}");
            }
        }
    }

    #[test]
    fn writes_only_inside_the_leading_dimension() {
        let a = [1.0, 2.0];
        let b = [3.0, 4.0];
        let mut c = [9.0; 6];
        gemm(
            MatRef::new(&a, 2, 1),
            MatRef::new(&b, 1, 2),
            &mut c,
            3,
            false,
            false,
        );
        assert_eq!(c, [3.0, 4.0, 9.0, 6.0, 8.0, 9.0]);
    }
}
