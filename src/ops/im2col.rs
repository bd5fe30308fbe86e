//! im2col and its adjoint col2im: lay every receptive field of a convolution out as a column, so
//! the convolution becomes one matrix multiply.

use super::conv::Conv2dGeometry;
use std::ops::Range;

/// Receptive fields of output rows `rows` into `cols`.
/// x is (C,H,W); cols is (C·KH·KW, rows.len()·OW), row `(c,kh,kw)`, column `(oh,ow)`; zero where
/// the window hangs over the padding.
pub fn im2col(x: &[f32], g: &Conv2dGeometry, rows: Range<usize>, cols: &mut [f32]) {
    let width = rows.len() * g.out_w;
    for (r, col_row) in cols.chunks_exact_mut(width).take(g.patch_len()).enumerate() {
        let (c, kh, kw) = g.unpatch(r);
        let plane = &x[c * g.height * g.width..(c + 1) * g.height * g.width];
        let (valid, iw0) = g.inside_cols(kw);
        for (oh, dst) in rows.clone().zip(col_row.chunks_exact_mut(g.out_w)) {
            let Some(ih) = g.input_row(oh, kh) else {
                dst.fill(0.0);
                continue;
            };
            let src = &plane[ih * g.width..(ih + 1) * g.width];
            dst[..valid.start].fill(0.0);
            dst[valid.end..].fill(0.0);
            let dst = &mut dst[valid.clone()];
            if g.stride == 1 {
                dst.copy_from_slice(&src[iw0..iw0 + dst.len()]);
            } else {
                for (d, &v) in dst.iter_mut().zip(src[iw0..].iter().step_by(g.stride)) {
                    *d = v;
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds each column entry back onto the input pixel it came from.
/// dx is (C,H,W) and is accumulated into.
pub fn col2im(cols: &[f32], g: &Conv2dGeometry, rows: Range<usize>, dx: &mut [f32]) {
    let width = rows.len() * g.out_w;
    for (r, col_row) in cols.chunks_exact(width).take(g.patch_len()).enumerate() {
        let (c, kh, kw) = g.unpatch(r);
        let plane = &mut dx[c * g.height * g.width..(c + 1) * g.height * g.width];
        let (valid, iw0) = g.inside_cols(kw);
        for (oh, src) in rows.clone().zip(col_row.chunks_exact(g.out_w)) {
            if let Some(ih) = g.input_row(oh, kh) {
                let dst = &mut plane[ih * g.width..(ih + 1) * g.width];
                let src = &src[valid.clone()];
                // Stride 1 gets a plain loop: `step_by` would keep it from vectorising.
                if g.stride == 1 {
                    for (d, &v) in dst[iw0..iw0 + src.len()].iter_mut().zip(src) {
                        *d += v;
                    }
                } else {
                    for (d, &v) in dst[iw0..].iter_mut().step_by(g.stride).zip(src) {
                        *d += v;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// im2col against its definition, for strides, paddings and kernels that leave ragged edges.
    #[test]
    fn matches_the_definition() {
        for &(h, w, k, s, p) in &[
            (5, 5, 3, 1, 0),
            (5, 5, 3, 2, 1),
            (7, 6, 3, 2, 2),
            (4, 9, 5, 3, 2),
            (3, 3, 3, 1, 4),
            // Images narrower than the kernel: whole rows of some kernel columns read padding.
            (1, 1, 5, 1, 2),
            (3, 1, 5, 1, 2),
            (1, 2, 5, 2, 2),
        ] {
            let g = Conv2dGeometry::new((2, h, w), (k, k), s, p).unwrap();
            let x: Vec<f32> = (0..g.in_len()).map(|i| i as f32 + 1.0).collect();
            let mut cols = vec![f32::NAN; g.patch_len() * g.out_len()];
            im2col(&x, &g, 0..g.out_h, &mut cols);
            for r in 0..g.patch_len() {
                let (c, kh, kw) = g.unpatch(r);
                for oh in 0..g.out_h {
                    for ow in 0..g.out_w {
                        let (ih, iw) = (
                            (oh * s + kh) as isize - p as isize,
                            (ow * s + kw) as isize - p as isize,
                        );
                        let want = if (0..h as isize).contains(&ih) && (0..w as isize).contains(&iw)
                        {
                            x[c * h * w + ih as usize * w + iw as usize]
                        } else {
                            0.0
                        };
                        assert_eq!(
                            cols[r * g.out_len() + oh * g.out_w + ow],
                            want,
                            "{h}x{w} k{k} s{s} p{p}"
                        );
                    }
                }
            }
            // col2im is its adjoint: <im2col(x), y> = <x, col2im(y)>.
            let y: Vec<f32> = (0..cols.len()).map(|i| (i % 7) as f32).collect();
            let mut dx = vec![0.0; x.len()];
            col2im(&y, &g, 0..g.out_h, &mut dx);
            let lhs: f32 = cols.iter().zip(&y).map(|(a, b)| a * b).sum();
            let rhs: f32 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
            assert_eq!(lhs, rhs);
        }
    }
}
