//! Images as the page and the CLI see them (8-bit, interleaved H×W×C) and the convolution filters
//! applied to them.

pub mod filters;
pub mod png;
pub mod resize;
mod stencil;

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

    /// The channels a filter changes: all but alpha (gray + alpha and RGBA keep their alpha).
    pub fn colour_channels(&self) -> usize {
        self.channels - (1 - self.channels % 2)
    }

    /// Image rows `first..first + rows` of the colour channels as float planes, each
    /// `rows × width`, one after another in `planes`; rows outside the image read as zeros.
    pub fn colour_rows(&self, first: isize, rows: usize, planes: &mut [f32]) {
        planes.fill(0.0);
        let top = first.clamp(0, self.height as isize) as usize;
        let bottom = (first + rows as isize).clamp(0, self.height as isize) as usize;
        let row = self.width * self.channels;
        let pixels = &self.pixels[top * row..bottom * row];
        let planes = &mut planes[(top as isize - first) as usize * self.width..];
        let plane_len = rows * self.width;
        match self.channels {
            1 => deinterleave::<1, 1>(pixels, planes, plane_len),
            2 => deinterleave::<2, 1>(pixels, planes, plane_len),
            3 => deinterleave::<3, 3>(pixels, planes, plane_len),
            _ => deinterleave::<4, 3>(pixels, planes, plane_len),
        }
    }

    /// Writes `rows` rows from `first` on, from float planes `plane_len` apart, into the colour
    /// channels of `out` (pixels laid out as this image's) through `f`, then [`byte`].
    pub fn set_colour_rows(
        &self,
        out: &mut [u8],
        first: usize,
        rows: usize,
        planes: &[f32],
        plane_len: usize,
        f: impl Fn(f32) -> f32,
    ) {
        let row = self.width * self.channels;
        let pixels = &mut out[first * row..(first + rows) * row];
        match self.channels {
            1 => interleave::<1, 1>(pixels, planes, plane_len, f),
            2 => interleave::<2, 1>(pixels, planes, plane_len, f),
            3 => interleave::<3, 3>(pixels, planes, plane_len, f),
            _ => interleave::<4, 3>(pixels, planes, plane_len, f),
        }
    }
}

// Channel counts as constants: the per-pixel loops unroll, and one pass serves every channel
// (about three times faster in wasm than a pass per channel). Plane c starts at c·plane_len.

fn deinterleave<const C: usize, const N: usize>(
    pixels: &[u8],
    planes: &mut [f32],
    plane_len: usize,
) {
    let n = pixels.len() / C;
    let planes = &mut planes[..(N - 1) * plane_len + n];
    for (i, px) in pixels.chunks_exact(C).enumerate() {
        for c in 0..N {
            planes[c * plane_len + i] = px[c] as f32;
        }
    }
}

/// A filtered value as the tutorial stores it: clamped to 0–255 and truncated (numpy's
/// `astype(np.uint8)` on values already in range).
pub(crate) fn byte(v: f32) -> u8 {
    // Through i32: one saturating conversion in wasm, where a direct `as u8` costs two.
    v.clamp(0.0, 255.0) as i32 as u8
}

fn interleave<const C: usize, const N: usize>(
    pixels: &mut [u8],
    planes: &[f32],
    plane_len: usize,
    f: impl Fn(f32) -> f32,
) {
    let n = pixels.len() / C;
    let planes = &planes[..(N - 1) * plane_len + n];
    for (i, px) in pixels.chunks_exact_mut(C).enumerate() {
        for c in 0..N {
            // Through i32: one saturating conversion in wasm, where a direct `as u8` costs two.
            px[c] = byte(f(planes[c * plane_len + i]));
        }
    }
}
