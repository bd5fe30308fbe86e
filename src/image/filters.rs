//! Convolution filters for photos: the tutorial's 3×3 mean filter and the classic kernels, applied
//! to each colour channel separately with zero padding, by the same conv that trains the network.

use super::Image;
use crate::error::{Error, Result};
use crate::ops::conv::{conv2d_forward, Conv2dGeometry};
use serde::{Deserialize, Serialize};

/// A square kernel applied per channel: `out = conv(channel, kernel) / divisor + offset`, zero
/// padding `size / 2` so the image keeps its size. With a second kernel, the output is instead
/// the gradient magnitude `√(conv(kernel)² + conv(second)²) / divisor + offset` (edge strength).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        if k == 0 || k % 2 == 0 || k > 15 {
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

    /// Filters the colour channels of `image`; alpha (the last channel of gray+alpha or RGBA) is
    /// kept as is. One plane at a time, so a 4096×4096 photo needs two float planes, not six.
    pub fn apply(&self, image: &Image) -> Result<Image> {
        self.validate()?;
        let k = self.size();
        let colour = image.channels - (1 - image.channels % 2);
        let g = Conv2dGeometry::new((1, image.height, image.width), (k, k), 1, k / 2)?;
        let weights =
            |kernel: &[Vec<f32>]| -> Vec<f32> { kernel.iter().flatten().copied().collect() };
        let (weight, second) = (
            weights(&self.kernel),
            self.magnitude_with.as_deref().map(weights),
        );
        let mut sums = vec![0.0; g.out_len()];
        let mut other = vec![0.0; if second.is_some() { g.out_len() } else { 0 }];
        let mut out = image.clone();
        for c in 0..colour {
            let plane = image.plane(c);
            conv2d_forward(&plane, 1, &g, &weight, 1, None, &mut sums);
            if let Some(second) = &second {
                conv2d_forward(&plane, 1, &g, second, 1, None, &mut other);
                sums.iter_mut()
                    .zip(&other)
                    .for_each(|(a, b)| *a = (*a * *a + b * b).sqrt());
            }
            let (divisor, offset) = (self.divisor, self.offset);
            sums.iter_mut().for_each(|v| *v = *v / divisor + offset);
            out.set_plane(c, &sums);
        }
        Ok(out)
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
}
