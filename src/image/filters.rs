//! Convolution filters for photos: the tutorial's 3×3 mean filter and the classic kernels, applied
//! to each colour channel separately with zero padding: kernels of small integers exactly in
//! integers (`stencil`), any other by the same conv that trains the network, to the same bytes.

use super::stencil::Stencil;
use super::{byte, Image};
use crate::error::{Error, Result};
use crate::ops::conv::{conv2d_forward, Conv2dGeometry};
use crate::ops::Kernels;
use serde::{Deserialize, Serialize};

/// Image rows filtered at a time.
const BAND_ROWS: usize = 32;

/// A square kernel applied per channel: `out = conv(channel, kernel) / divisor + offset`, zero
/// padding `size / 2` so the image keeps its size. With a second kernel, the output is instead
/// the gradient magnitude `√(conv(kernel)² + conv(second)²) / divisor + offset` (edge strength).
/// Unknown fields are refused: a typo such as `divsor` must not pass as the default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Rows of the kernel, `size×size`, odd size.
    pub kernel: Vec<Vec<f32>>,
    /// The other direction's kernel, for a gradient magnitude (the same size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magnitude_with: Option<Vec<Vec<f32>>>,
    #[serde(default = "one")]
    pub divisor: f32,
    #[serde(default)]
    pub offset: f32,
}

fn one() -> f32 {
    1.0
}

/// The named filters, in the order the page and the CLI list them.
pub const NAMES: [&str; 7] = [
    "mean", "gaussian", "sharpen", "sobel-x", "sobel-y", "edges", "emboss",
];

const SOBEL_X: [[f32; 3]; 3] = [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]];
const SOBEL_Y: [[f32; 3]; 3] = [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]];

fn rows(k: &[[f32; 3]; 3]) -> Vec<Vec<f32>> {
    k.iter().map(|r| r.to_vec()).collect()
}

impl Filter {
    /// A named filter. `mean` is the tutorial's: a kernel of ones, divided by 9 after the sum
    /// (dividing after, not multiplying by 1/9, keeps sums that are multiples of 9 exact).
    pub fn named(name: &str) -> Result<Self> {
        let (kernel, divisor, offset): (&[[f32; 3]; 3], f32, f32) = match name {
            "mean" => (&[[1.0; 3]; 3], 9.0, 0.0),
            "gaussian" => (
                &[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]],
                16.0,
                0.0,
            ),
            "sharpen" => (
                &[[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]],
                1.0,
                0.0,
            ),
            // Signed gradients are shifted to mid-grey so both directions show.
            "sobel-x" => (&SOBEL_X, 1.0, 128.0),
            "sobel-y" => (&SOBEL_Y, 1.0, 128.0),
            // Edge strength in any direction: both Sobel responses combined.
            "edges" => {
                return Ok(Filter {
                    kernel: rows(&SOBEL_X),
                    magnitude_with: Some(rows(&SOBEL_Y)),
                    divisor: 1.0,
                    offset: 0.0,
                })
            }
            "emboss" => (
                &[[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]],
                1.0,
                0.0,
            ),
            _ => {
                return Err(Error::Invalid(format!(
                    "unknown filter '{name}'; known: {}",
                    NAMES.join(", ")
                )))
            }
        };
        Ok(Filter {
            kernel: rows(kernel),
            magnitude_with: None,
            divisor,
            offset,
        })
    }

    /// Parses a custom filter from JSON: `{"kernel": [[..],[..],[..]], "divisor": 1, "offset": 0}`.
    pub fn from_json(text: &str) -> Result<Self> {
        let f: Filter =
            serde_json::from_str(text).map_err(|e| Error::Format(format!("filter JSON: {e}")))?;
        f.validate()?;
        Ok(f)
    }

    pub fn size(&self) -> usize {
        self.kernel.len()
    }

    fn validate(&self) -> Result<()> {
        let k = self.size();
        if k == 0 || k.is_multiple_of(2) || k > 15 {
            return Err(Error::Invalid(format!(
                "kernel must be square with an odd size up to 15, got {k} rows"
            )));
        }
        if let Some(second) = &self.magnitude_with {
            if second.len() != k
                || second.iter().any(|r| r.len() != k)
                || !second.iter().flatten().all(|v| v.is_finite())
            {
                return Err(Error::Invalid(format!(
                    "the second kernel must be {k}×{k} finite numbers, as the first"
                )));
            }
        }
        if let Some(row) = self.kernel.iter().find(|r| r.len() != k) {
            return Err(Error::Invalid(format!(
                "kernel is not square: a row has {} values, expected {k}",
                row.len()
            )));
        }
        if !self.kernel.iter().flatten().all(|v| v.is_finite()) || !self.offset.is_finite() {
            return Err(Error::Invalid(
                "kernel values must be finite numbers".into(),
            ));
        }
        if self.divisor == 0.0 || !self.divisor.is_finite() {
            return Err(Error::Invalid(
                "divisor must be a finite non-zero number".into(),
            ));
        }
        Ok(())
    }

    /// The kernel's exact integer form, when it has one and no second kernel.
    fn stencil(&self) -> Option<Stencil> {
        match self.magnitude_with {
            None => Stencil::new(&self.kernel),
            Some(_) => None,
        }
    }

    /// `image` with its colour channels filtered; alpha (the last channel of gray+alpha or
    /// RGBA) kept as it is.
    pub fn apply(&self, image: &Image) -> Result<Image> {
        let mut pixels = vec![0; image.pixels.len()];
        self.apply_into(image, &mut pixels)?;
        Ok(Image { pixels, ..*image })
    }

    /// [`Filter::apply`] into `out`, pixels laid out as `image`'s (the filter lab filters one
    /// photo again and again into the same buffer). Kernels of small integers go the exact
    /// integer way; the others a band of rows at a time: the float planes stay small enough
    /// for the cache, and their memory grows with the width only.
    pub fn apply_into(&self, image: &Image, out: &mut [u8]) -> Result<()> {
        self.validate()?;
        if out.len() != image.pixels.len() {
            return Err(crate::shape_err!(
                "{} bytes to filter a {}×{}×{} image into, expected {}",
                out.len(),
                image.width,
                image.height,
                image.channels,
                image.pixels.len()
            ));
        }
        let (divisor, offset) = (self.divisor, self.offset);
        if let Some(stencil) = self.stencil() {
            stencil.apply(image, |sum| byte(sum / divisor + offset), out);
            return Ok(());
        }
        out.copy_from_slice(&image.pixels); // alpha, which the bands leave as it is
        let k = self.size();
        let p = k / 2;
        // Each band is read with p rows above and below it (zeros beyond the image), and
        // convolved with padding p: its middle rows are exactly the image's filtered rows.
        let band_in = BAND_ROWS + 2 * p;
        let g = Conv2dGeometry::new((1, band_in, image.width), (k, k), 1, p)?;
        let weights =
            |kernel: &[Vec<f32>]| -> Vec<f32> { kernel.iter().flatten().copied().collect() };
        let (weight, second) = (
            weights(&self.kernel),
            self.magnitude_with.as_deref().map(weights),
        );
        let plane_len = g.in_len();
        let mut planes = vec![0.0; image.colour_channels() * plane_len];
        let mut sums = vec![0.0; planes.len()];
        let mut other = vec![0.0; if second.is_some() { plane_len } else { 0 }];
        for first in (0..image.height).step_by(BAND_ROWS) {
            let rows = BAND_ROWS.min(image.height - first);
            image.colour_rows(first as isize - p as isize, band_in, &mut planes);
            for (plane, sum) in planes
                .chunks_exact(plane_len)
                .zip(sums.chunks_exact_mut(plane_len))
            {
                conv2d_forward(Kernels::default(), plane, 1, &g, &weight, 1, None, sum);
                if let Some(second) = &second {
                    conv2d_forward(
                        Kernels::default(),
                        plane,
                        1,
                        &g,
                        second,
                        1,
                        None,
                        &mut other,
                    );
                    sum.iter_mut()
                        .zip(&other)
                        .for_each(|(a, b)| *a = (*a * *a + b * b).sqrt());
                }
            }
            image.set_colour_rows(out, first, rows, &sums[p * image.width..], plane_len, |v| {
                v / divisor + offset
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_the_gradient_magnitude() {
        // A vertical step from 10 to 60: Sobel-x answers 4·50 = 200 on both sides of it, and the
        // zero padding makes steps at the borders too (4·10 = 40 on the left, 4·60 = 240 on the
        // right); Sobel-y sees nothing in an inner row.
        let (w, h) = (6, 5);
        let pixels: Vec<u8> = (0..w * h)
            .map(|i| if i % w < 3 { 10 } else { 60 })
            .collect();
        let image = Image::new(w, h, 1, pixels).unwrap();
        let out = Filter::named("edges").unwrap().apply(&image).unwrap();
        let row = &out.pixels[2 * w..3 * w];
        assert_eq!(row, &[40, 0, 200, 200, 0, 240], "{row:?}");
        let f = Filter::from_json(
            r#"{"kernel": [[0,0,0],[0,1,0],[0,0,0]], "magnitude_with": [[0,0,0],[0,0,0]]}"#,
        );
        assert!(f.unwrap_err().to_string().contains("second kernel"));
    }

    /// The filter written the plainest way: each output pixel sums its kernel taps in row-major
    /// order, skipping the zero padding.
    fn plain(f: &Filter, image: &Image) -> Vec<u8> {
        let (w, h, ch) = (image.width, image.height, image.channels);
        let k = f.size() as isize;
        let conv = |kernel: &[Vec<f32>], x: usize, y: usize, c: usize| {
            let mut acc = 0.0f32;
            for (kh, row) in kernel.iter().enumerate() {
                for (kw, &wt) in row.iter().enumerate() {
                    let (iy, ix) = (
                        y as isize + kh as isize - k / 2,
                        x as isize + kw as isize - k / 2,
                    );
                    if (0..h as isize).contains(&iy) && (0..w as isize).contains(&ix) {
                        acc += wt * image.pixels[(iy as usize * w + ix as usize) * ch + c] as f32;
                    }
                }
            }
            acc
        };
        let mut out = image.pixels.clone();
        for y in 0..h {
            for x in 0..w {
                for c in 0..image.colour_channels() {
                    let mut v = conv(&f.kernel, x, y, c);
                    if let Some(second) = &f.magnitude_with {
                        let u = conv(second, x, y, c);
                        v = (v * v + u * u).sqrt();
                    }
                    out[(y * w + x) * ch + c] = (v / f.divisor + f.offset).clamp(0.0, 255.0) as u8;
                }
            }
        }
        out
    }

    #[test]
    fn bands_of_rows_give_the_whole_image_filter_to_the_byte() {
        let mut rng = crate::rng::Rng::new(5);
        let big = Filter::from_json(&format!(
            r#"{{"kernel": {:?}, "divisor": 40, "offset": 20}}"#,
            vec![
                vec![
                    1.0f32, -0.5, 0.25, 0.0, 2.0, -1.0, 0.5, 0.0, 1.0, 0.0, -2.0, 0.5, 0.25, 1.0,
                    -1.0
                ];
                15
            ]
        ))
        .unwrap();
        let integers = |kernel: Vec<Vec<f32>>, divisor: f32, offset: f32| Filter {
            kernel,
            magnitude_with: None,
            divisor,
            offset,
        };
        let mut filters: Vec<Filter> = NAMES.iter().map(|n| Filter::named(n).unwrap()).collect();
        filters.extend([
            big,
            // Integers, not a product of a column and a row; and one that is (5×5).
            integers(
                (0..5)
                    .map(|_| (0..5).map(|_| rng.below(9) as f32 - 4.0).collect())
                    .collect(),
                -7.0,
                100.0,
            ),
            integers(
                [1.0, -2.0, 0.0, 3.0, 1.0]
                    .iter()
                    .map(|u| [2.0, 0.0, -1.0, 1.0, 4.0].iter().map(|v| u * v).collect())
                    .collect(),
                13.0,
                128.0,
            ),
            // Integers whose sums would overflow 16 bits: the float path.
            integers(vec![vec![100.0; 3]; 3], 900.0, 0.0),
        ]);
        let exact: Vec<bool> = filters.iter().map(|f| f.stencil().is_some()).collect();
        assert_eq!(
            exact,
            [true, true, true, true, true, false, true, false, true, true, false],
            "the kernels of small integers take the integer path"
        );
        // Images narrower than a kernel too: some kernel columns then see only padding.
        for (channels, w, h) in [
            (1, 9, 1),
            (2, 7, 31),
            (3, 13, 33),
            (4, 11, 70),
            (3, 1, 6),
            (1, 2, 2),
        ] {
            let pixels = (0..w * h * channels)
                .map(|_| rng.below(256) as u8)
                .collect();
            let image = Image::new(w, h, channels, pixels).unwrap();
            for f in &filters {
                let got = f.apply(&image).unwrap();
                assert_eq!(got.pixels, plain(f, &image), "{channels} channels, {w}×{h}");
            }
        }
    }
}
