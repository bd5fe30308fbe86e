//! `cnn-playground filter`: the filter lab from the terminal, PNG in, PNG out.

use crate::args::Args;
use crate::output;
use cnn_playground::image::{filters::Filter, Image};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

pub fn run(args: &Args) -> Result<(), String> {
    let kernel: String = args.require("kernel")?;
    let input: String = args.require("input")?;
    let output: String = args.require("output")?;
    let filter = if kernel.ends_with(".json") {
        let text = std::fs::read_to_string(&kernel).map_err(|e| format!("{kernel}: {e}"))?;
        Filter::from_json(&text).map_err(|e| format!("{kernel}: {e}"))?
    } else {
        Filter::named(&kernel).map_err(|e| e.to_string())?
    };
    let image = read_png(Path::new(&input)).map_err(|e| format!("{input}: {e}"))?;
    let start = std::time::Instant::now();
    let out = filter.apply(&image).map_err(|e| e.to_string())?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    output::write(
        &output,
        &encode_png(&out).map_err(|e| format!("{output}: {e}"))?,
    )?;
    println!(
        "{kernel}: {}×{}×{} in {ms:.1} ms → {output}",
        image.width, image.height, image.channels
    );
    Ok(())
}

fn read_png(path: &Path) -> Result<Image, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    // 8-bit samples, palettes expanded: the form the filters take.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("not a readable PNG ({e})"))?;
    let info = reader.info();
    let (w, h) = (info.width as usize, info.height as usize);
    if w > cnn_playground::image::MAX_SIDE || h > cnn_playground::image::MAX_SIDE {
        return Err(format!(
            "{w}×{h} is too large (at most {} a side)",
            cnn_playground::image::MAX_SIDE
        ));
    }
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("corrupt PNG ({e})"))?;
    buf.truncate(frame.buffer_size());
    Image::new(w, h, frame.color_type.samples(), buf).map_err(|e| e.to_string())
}

/// The image as PNG bytes.
fn encode_png(image: &Image) -> Result<Vec<u8>, String> {
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
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&image.pixels)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}
