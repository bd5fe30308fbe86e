//! `cnn-playground export`: a model file (safetensors, PyTorch's or Paddle's) written for another
//! framework: ONNX, a PyTorch project, Paddle's `.pdparams`, or safetensors.

use crate::cli::DATA_HELP;
use crate::output;
use cnn_playground::data::{local, stored};
use cnn_playground::export::{self, pytorch};
use cnn_playground::io::checkpoint;
use cnn_playground::train::Recipe;

/// `export`'s options.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The model file: safetensors, .pt/.pth or .pdparams
    #[arg(long, value_name = "FILE")]
    weights: String,
    /// onnx, pytorch (a project folder), pdparams or safetensors
    #[arg(long, value_name = "FORMAT")]
    format: String,
    /// The file (or, for pytorch, the folder) to write
    #[arg(long, value_name = "PATH")]
    out: String,
    /// With --format pytorch: the dataset too, as the project's train.py reads it
    #[arg(long, value_name = "DATA", long_help = DATA_HELP)]
    data: Option<String>,
}

pub fn run(args: &ExportArgs) -> Result<(), String> {
    let ExportArgs {
        weights,
        format,
        out,
        data,
    } = args;
    let format = format.as_str();
    let bytes = std::fs::read(weights).map_err(|e| format!("{weights}: {e}"))?;
    let loaded = checkpoint::load(&bytes).map_err(|e| match e.detail() {
        Some(detail) => format!("{weights}: {e} (detail: {detail})"),
        None => format!("{weights}: {e}"),
    })?;
    let model = loaded.model;
    // The recipe the model was last trained with, or the recipe whose network it is.
    let history = loaded.history.as_ref();
    let config = history
        .and_then(|h| h.config.clone())
        .or_else(|| {
            Recipe::all()
                .into_iter()
                .find(|r| &r.spec == model.spec())
                .map(|r| r.config)
        })
        .unwrap_or_default();
    // The dataset's own file in the PyTorch project, for train.py to train on as it is.
    if data.is_some() && format != "pytorch" {
        return Err(
            "--data goes with --format pytorch: the project's train.py trains on it".into(),
        );
    }
    if format == "pytorch" {
        let dataset = match data {
            Some(what) => Some(stored::save(&local::load(what).map_err(|e| e.reason())?)),
            None => None,
        };
        // A folder here; the page downloads it as a zip.
        std::fs::create_dir_all(out).map_err(|e| format!("{out}: {e}"))?;
        for (name, contents) in pytorch::export(&model, &config, history, dataset) {
            output::write(&format!("{out}/{name}"), &contents)?;
        }
    } else {
        let bytes = export::write(format, &model, &config, history, None)
            .map_err(|e| format!("--format: {}", e.reason()))?;
        output::write(out, &bytes)?;
    }
    println!("wrote {out} ({format}) from {weights}");
    Ok(())
}
