//! im2col and its adjoint col2im: lay every receptive field of a convolution out as a column, so
//! the convolution becomes one matrix multiply.

use super::conv::Conv2dGeometry;

/// Receptive fields of output rows `rows` into `cols`.
/// x is (C,H,W); cols is (C·KH·KW, rows.len()·OW), row `(c,kh,kw)`, column `(oh,ow)`; zero where
/// the window hangs over the padding.
pub fn im2col(x: &[f32], g: &Conv2dGeometry, rows: std::ops::Range<usize>, cols: &mut [f32]) {
    let width = rows.len() * g.out_w;
    for (r, col_row) in cols.chunks_exact_mut(width).take(g.patch_len()).enumerate() {
        let (c, kh, kw) = g.unpatch(r);
        let plane = &x[c * g.height * g.width..(c + 1) * g.height * g.width];
        for (oh, dst) in rows.clone().zip(col_row.chunks_exact_mut(g.out_w)) {
            match g.input_row(oh, kh) {
                Some(ih) => {
                    let src = &plane[ih * g.width..(ih + 1) * g.width];
                    for (ow, d) in dst.iter_mut().enumerate() {
                        *d = g.input_col(ow, kw).map_or(0.0, |iw| src[iw]);
                    }
                }
                None => dst.fill(0.0),
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds each column entry back onto the input pixel it came from.
/// dx is (C,H,W) and is accumulated into.
pub fn col2im(cols: &[f32], g: &Conv2dGeometry, rows: std::ops::Range<usize>, dx: &mut [f32]) {
    let width = rows.len() * g.out_w;
    for (r, col_row) in cols.chunks_exact(width).take(g.patch_len()).enumerate() {
        let (c, kh, kw) = g.unpatch(r);
        let plane = &mut dx[c * g.height * g.width..(c + 1) * g.height * g.width];
        for (oh, src) in rows.clone().zip(col_row.chunks_exact(g.out_w)) {
            if let Some(ih) = g.input_row(oh, kh) {
                let dst = &mut plane[ih * g.width..(ih + 1) * g.width];
                for (ow, s) in src.iter().enumerate() {
                    if let Some(iw) = g.input_col(ow, kw) {
                        dst[iw] += s;
                    }
                }
            }
        }
    }
}
