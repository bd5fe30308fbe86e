//! PNG in and out, for the command line (the page lets the browser decode images): 8-bit
//! samples, palettes expanded, at most [`MAX_SIDE`] pixels a side — a file claiming more is
//! refused before its pixels are decoded.

use super::{Image, MAX_SIDE};
use crate::error::{Error, Result};

/// The image in a PNG file.
pub fn decode(bytes: &[u8]) -> Result<Image> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| Error::Format(format!("not a readable PNG ({e})")))?;
    let info = reader.info();
    let (w, h) = (info.width as usize, info.height as usize);
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(Error::Invalid(format!(
            "{w}×{h} is too large (at most {MAX_SIDE} a side)"
        )));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| Error::Invalid("the image is too large".into()))?;
    let mut pixels = vec![0; size];
    let frame = reader
        .next_frame(&mut pixels)
        .map_err(|e| Error::Format(format!("corrupt PNG ({e})")))?;
    pixels.truncate(frame.buffer_size());
    Image::new(w, h, frame.color_type.samples(), pixels)
}

/// The image as a PNG file.
pub fn encode(image: &Image) -> Result<Vec<u8>> {
    let colour = match image.channels {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    };
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, image.width as u32, image.height as u32);
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    let fail = |e: png::EncodingError| Error::Format(format!("PNG: {e}"));
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(&image.pixels).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let image = Image::new(3, 2, 3, (0..18).collect()).unwrap();
        assert_eq!(decode(&encode(&image).unwrap()).unwrap(), image);
        assert!(decode(b"GIF89a")
            .unwrap_err()
            .to_string()
            .contains("not a readable PNG"));
        // A header claiming 100,000 × 100,000 pixels is refused before anything is decoded.
        let mut huge = encode(&image).unwrap();
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(decode(&huge).is_err());
    }
}
