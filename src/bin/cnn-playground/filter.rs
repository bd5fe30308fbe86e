//! `cnn-playground filter`: the filter lab from the terminal, PNG in, PNG out.

use crate::output;
use cnn_playground::image::{filters::Filter, png};

/// `filter`'s options.
#[derive(clap::Args)]
pub struct FilterArgs {
    /// mean (the tutorial's), gaussian, edges, sharpen, sobel-x, sobel-y, emboss, or a JSON
    /// kernel {"kernel": [[..]], "divisor": 1, "offset": 0}
    #[arg(long, value_name = "NAME|FILE.json")]
    kernel: String,
    /// The image to filter
    #[arg(long, value_name = "IN.png")]
    input: String,
    /// Where to write the filtered image
    #[arg(long, value_name = "OUT.png")]
    output: String,
}

pub fn run(args: &FilterArgs) -> Result<(), String> {
    let FilterArgs {
        kernel,
        input,
        output,
    } = args;
    let filter = if kernel.ends_with(".json") {
        let text = std::fs::read_to_string(kernel).map_err(|e| format!("{kernel}: {e}"))?;
        Filter::from_json(&text).map_err(|e| format!("{kernel}: {e}"))?
    } else {
        Filter::named(kernel).map_err(|e| e.to_string())?
    };
    let bytes = std::fs::read(input).map_err(|e| format!("{input}: {e}"))?;
    let image = png::decode(&bytes).map_err(|e| format!("{input}: {e}"))?;
    let start = std::time::Instant::now();
    let out = filter.apply(&image).map_err(|e| e.to_string())?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    output::write(output, &png::encode(&out).map_err(|e| e.to_string())?)?;
    println!(
        "{kernel}: {}×{}×{} in {ms:.1} ms → {output}",
        image.width, image.height, image.channels
    );
    Ok(())
}
