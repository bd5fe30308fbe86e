//! Images as the page and the CLI see them (8-bit, interleaved H×W×C) and the convolution filters
//! applied to them.

pub mod filters;

use crate::error::{Error, Result};

/// The largest image side the core accepts; the page scales larger photos down before this.
pub const MAX_SIDE: usize = 8192;

/// An 8-bit image held H×W×C, channels interleaved (RGB, RGBA or gray), as OpenCV and canvases hold it.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub pixels: Vec<u8>,
}

impl Image {
    pub fn new(width: usize, height: usize, channels: usize, pixels: Vec<u8>) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::Invalid(format!("image is empty ({width}×{height})")));
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(Error::Invalid(format!(
                "image is {width}×{height}; at most {MAX_SIDE} pixels a side"
            )));
        }
        if !(1..=4).contains(&channels) {
            return Err(Error::Invalid(format!(
                "{channels} channels; expected 1 to 4"
            )));
        }
        if pixels.len() != width * height * channels {
            return Err(crate::shape_err!(
                "{} bytes for a {width}×{height}×{channels} image, expected {}",
                pixels.len(),
                width * height * channels
            ));
        }
        Ok(Image {
            width,
            height,
            channels,
            pixels,
        })
    }

    /// Channel `c` as a float plane (H×W), values 0–255.
    pub fn plane(&self, c: usize) -> Vec<f32> {
        self.pixels
            .chunks_exact(self.channels)
            .map(|px| px[c] as f32)
            .collect()
    }

    /// Writes a float plane into channel `c` as the tutorial does: clamp to 0–255, then truncate
    /// (numpy's `astype(np.uint8)` on values already in range).
    pub fn set_plane(&mut self, c: usize, plane: &[f32]) {
        for (px, &v) in self.pixels.chunks_exact_mut(self.channels).zip(plane) {
            px[c] = v.clamp(0.0, 255.0) as u8;
        }
    }
}
