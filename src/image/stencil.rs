//! Filters whose kernel holds small integers — the mean filter, Gaussian, sharpen, Sobel, emboss
//! and most kernels typed by hand — computed exactly in 16-bit integers, straight on the
//! interleaved pixels: no float planes, eight sums to a 128-bit SIMD instruction. The sums are
//! the float path's to the bit (integers below 2²⁴ are exact in f32 whatever the order), and a
//! table made with the float path's own arithmetic turns each sum into its byte, so the output is
//! identical to the byte.
//! A kernel that is the product of a column and a row (the mean filter, Gaussian, Sobel) is
//! applied as the two, k + k taps instead of k².

use super::Image;

/// The most any one sum may reach: 16-bit lanes.
const MAX_SUM: i32 = i16::MAX as i32;

/// A kernel of integers whose sums over bytes fit 16 bits.
pub(super) struct Stencil {
    /// Rows of the kernel, `k×k`.
    kernel: Vec<Vec<i16>>,
    /// The kernel as column × row, when it is one.
    separable: Option<(Vec<i16>, Vec<i16>)>,
    /// The sums the kernel can reach.
    reach: std::ops::RangeInclusive<i16>,
}

impl Stencil {
    /// The integer form of `kernel`, when its values are integers and no sum over bytes can
    /// leave 16 bits.
    pub(super) fn new(kernel: &[Vec<f32>]) -> Option<Stencil> {
        if !kernel
            .iter()
            .flatten()
            .all(|v| v.fract() == 0.0 && v.abs() <= 128.0)
        {
            return None;
        }
        let kernel: Vec<Vec<i16>> = kernel
            .iter()
            .map(|row| row.iter().map(|&v| v as i16).collect())
            .collect();
        let (mut lowest, mut highest) = (0i32, 0i32);
        for &w in kernel.iter().flatten() {
            let reach = 255 * w as i32;
            if reach < 0 {
                lowest += reach;
            } else {
                highest += reach;
            }
        }
        if highest > MAX_SUM || -lowest > MAX_SUM {
            return None;
        }
        Some(Stencil {
            separable: separate(&kernel),
            kernel,
            reach: lowest as i16..=highest as i16,
        })
    }

    /// `image` filtered into `out` (as long as its pixels), each sum made a byte by `to_byte`
    /// (the float path's arithmetic); alpha kept as it is.
    pub(super) fn apply(&self, image: &Image, to_byte: impl Fn(f32) -> u8, out: &mut [u8]) {
        // Indexed by the sum's 16 bits: a lookup with no bounds to check.
        let mut bytes = vec![0u8; 1 << 16].into_boxed_slice();
        for s in self.reach.clone() {
            bytes[s as u16 as usize] = to_byte(s as f32);
        }
        let bytes: &[u8; 1 << 16] = (&*bytes).try_into().expect("2¹⁶ entries");
        let k = self.kernel.len();
        let p = k / 2;
        let c = image.channels;
        let row_len = image.width * c;
        // Each image row as i16 with p pixels of zeros on both sides, in a ring of k rows.
        let padded = row_len + 2 * p * c;
        let mut rows = vec![0i16; k * padded];
        // Separable: each ring row holds the row pass of its image row instead.
        let mut across = vec![
            0i16;
            if self.separable.is_some() {
                k * row_len
            } else {
                0
            }
        ];
        let mut sums = vec![0i16; row_len];
        let load = |y: usize, rows: &mut [i16], across: &mut [i16]| {
            let slot = &mut rows[(y % k) * padded..][..padded];
            match image.pixels.get(y * row_len..(y + 1) * row_len) {
                Some(src) => {
                    for (d, &s) in slot[p * c..][..row_len].iter_mut().zip(src) {
                        *d = s as i16;
                    }
                }
                None => slot.fill(0), // below the image
            }
            if let Some((_, row)) = &self.separable {
                let dst = &mut across[(y % k) * row_len..][..row_len];
                taps(
                    dst,
                    row.iter().enumerate().map(|(dx, &w)| (w, &slot[dx * c..])),
                );
            }
        };
        // Rows above the image are zeros; the ring starts with the first p rows loaded.
        for y in 0..p.min(image.height) {
            load(y, &mut rows, &mut across);
        }
        for y in 0..image.height {
            load(y + p, &mut rows, &mut across);
            // Kernel row dy reads image row y + dy − p, zeros outside the image.
            let inside = |dy: usize| (p..image.height + p).contains(&(y + dy));
            let ring = |dy: usize| (y + dy + k - p) % k;
            match &self.separable {
                Some((column, _)) => taps(
                    &mut sums,
                    column
                        .iter()
                        .enumerate()
                        .filter(|&(dy, _)| inside(dy))
                        .map(|(dy, &w)| (w, &across[ring(dy) * row_len..])),
                ),
                None => taps(
                    &mut sums,
                    self.kernel
                        .iter()
                        .enumerate()
                        .filter(|&(dy, _)| inside(dy))
                        .flat_map(|(dy, kernel_row)| {
                            let row = &rows[ring(dy) * padded..][..padded];
                            kernel_row
                                .iter()
                                .enumerate()
                                .map(move |(dx, &w)| (w, &row[dx * c..]))
                        }),
                ),
            }
            let at = y * row_len..(y + 1) * row_len;
            let (dst, src) = (&mut out[at.clone()], &image.pixels[at]);
            match c {
                1 => to_bytes::<1, 1>(dst, &sums, src, bytes),
                2 => to_bytes::<2, 1>(dst, &sums, src, bytes),
                3 => to_bytes::<3, 3>(dst, &sums, src, bytes),
                _ => to_bytes::<4, 3>(dst, &sums, src, bytes),
            }
        }
    }
}

/// A row's bytes: its sums' through `bytes` for the N colour channels of each C-channel pixel,
/// alpha from `src` as it was.
fn to_bytes<const C: usize, const N: usize>(
    dst: &mut [u8],
    sums: &[i16],
    src: &[u8],
    bytes: &[u8; 1 << 16],
) {
    for ((px, s), a) in dst
        .chunks_exact_mut(C)
        .zip(sums.chunks_exact(C))
        .zip(src.chunks_exact(C))
    {
        for ch in 0..N {
            px[ch] = bytes[s[ch] as u16 as usize];
        }
        px[N..].copy_from_slice(&a[N..]);
    }
}

/// `sums = Σ w · src[..len]` over the taps, zero taps skipped; ones and minus ones add without
/// multiplying, and the first tap is stored rather than added to zeros. Plain slices of i16:
/// the compiler turns each into SIMD adds and multiplies.
fn taps<'a>(sums: &mut [i16], taps: impl Iterator<Item = (i16, &'a [i16])>) {
    let n = sums.len();
    let mut first = true;
    for (w, src) in taps.filter(|&(w, _)| w != 0) {
        let src = &src[..n];
        let pairs = sums.iter_mut().zip(src);
        match (first, w) {
            (true, 1) => sums.copy_from_slice(src),
            (true, _) => pairs.for_each(|(a, &v)| *a = w * v),
            (false, 1) => pairs.for_each(|(a, &v)| *a += v),
            (false, -1) => pairs.for_each(|(a, &v)| *a -= v),
            (false, _) => pairs.for_each(|(a, &v)| *a += w * v),
        }
        first = false;
    }
    if first {
        sums.fill(0);
    }
}

/// `kernel` as column × row of integers, when it is one: the row is the first non-zero kernel
/// row over the greatest common divisor of its values, so every row is a whole multiple of it.
fn separate(kernel: &[Vec<i16>]) -> Option<(Vec<i16>, Vec<i16>)> {
    let first = kernel.iter().find(|r| r.iter().any(|&v| v != 0))?;
    let divisor = first.iter().fold(0, |g, &v| gcd(g, v.unsigned_abs()));
    let row: Vec<i16> = first.iter().map(|&v| v / divisor as i16).collect();
    let at = row.iter().position(|&v| v != 0)?;
    let column: Vec<i16> = kernel.iter().map(|r| r[at] / row[at]).collect();
    let product = kernel
        .iter()
        .zip(&column)
        .all(|(r, &u)| r.iter().zip(&row).all(|(&v, &w)| v == u * w));
    product.then_some((column, row))
}

fn gcd(a: u16, b: u16) -> u16 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(rows: &[&[i16]]) -> Vec<Vec<i16>> {
        rows.iter().map(|r| r.to_vec()).collect()
    }

    #[test]
    fn kernels_that_are_a_column_times_a_row_are_found() {
        let ones = kernel(&[&[1, 1, 1], &[1, 1, 1], &[1, 1, 1]]);
        assert_eq!(separate(&ones), Some((vec![1, 1, 1], vec![1, 1, 1])));
        let sobel_x = kernel(&[&[-1, 0, 1], &[-2, 0, 2], &[-1, 0, 1]]);
        assert_eq!(separate(&sobel_x), Some((vec![1, 2, 1], vec![-1, 0, 1])));
        let middle = kernel(&[&[0, 0, 0], &[2, 4, 2], &[0, 0, 0]]);
        assert_eq!(separate(&middle), Some((vec![0, 2, 0], vec![1, 2, 1])));
        let sharpen = kernel(&[&[0, -1, 0], &[-1, 5, -1], &[0, -1, 0]]);
        assert_eq!(separate(&sharpen), None);
        assert_eq!(separate(&vec![vec![0; 3]; 3]), None);
    }
}
