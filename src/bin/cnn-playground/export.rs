//! `cnn-playground export`: a model file (safetensors, PyTorch's or Paddle's) written for another
//! framework: ONNX, a PyTorch project, Paddle's `.pdparams`, or safetensors.

use crate::args::Args;
use crate::output;
use cnn_playground::export::{onnx, pytorch};
use cnn_playground::io::{checkpoint, paddle};
use cnn_playground::train::Recipe;

pub const FORMATS: &str = "onnx, pytorch, pdparams, safetensors";

pub fn run(args: &Args) -> Result<(), String> {
    let weights: String = args.require("weights")?;
    let format: String = args.require("format")?;
    let out: String = args.require("out")?;
    let bytes = std::fs::read(&weights).map_err(|e| format!("{weights}: {e}"))?;
    let loaded = checkpoint::load(&bytes).map_err(|e| match e.detail() {
        Some(detail) => format!("{weights}: {e} (detail: {detail})"),
        None => format!("{weights}: {e}"),
    })?;
    let model = loaded.model;
    match format.as_str() {
        "onnx" => output::write(&out, &onnx::export(&model).map_err(|e| e.to_string())?)?,
        "pdparams" => output::write(&out, &paddle::save(&model))?,
        "safetensors" => output::write(&out, &checkpoint::save(&model, loaded.history.as_ref()))?,
        "pytorch" => {
            // The recipe the model was last trained with, or the recipe whose network it is.
            let config = loaded
                .history
                .as_ref()
                .and_then(|h| h.config.clone())
                .or_else(|| {
                    Recipe::all()
                        .into_iter()
                        .find(|r| &r.spec == model.spec())
                        .map(|r| r.config)
                })
                .unwrap_or_default();
            std::fs::create_dir_all(&out).map_err(|e| format!("{out}: {e}"))?;
            for (name, contents) in pytorch::export(&model, &config, loaded.history.as_ref()) {
                output::write(&format!("{out}/{name}"), &contents)?;
            }
        }
        other => return Err(format!("--format: '{other}' is not one of {FORMATS}")),
    }
    println!("wrote {out} ({format}) from {weights}");
    Ok(())
}
