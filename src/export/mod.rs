//! The model carried onward, out of the playground: as ONNX for any runtime, and as a PyTorch
//! project to train further on PyTorch's own engine; and the formats it is saved in. (Paddle's
//! `.pdparams` is written beside its reader, in [`crate::io::paddle`].)

pub mod onnx;
pub mod pytorch;

use crate::error::{Error, Result};
use crate::io::{checkpoint, paddle, zip};
use crate::nn::Model;
use crate::train::{History, TrainConfig};
use serde::Serialize;

/// A format a model is written in, as the CLI's `--format` and the page's buttons name it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Format {
    pub name: &'static str,
    /// The file the page downloads.
    pub file: &'static str,
    pub label: &'static str,
    pub help: &'static str,
}

pub const FORMATS: [Format; 4] = [
    Format {
        name: "safetensors",
        file: "cnn-playground-model.safetensors",
        label: "safetensors",
        help:
            "PyTorch's names and layouts, with the architecture and training story: loads back here",
    },
    Format {
        name: "onnx",
        file: "cnn-playground-model.onnx",
        label: "ONNX",
        help: "opset 17, for ONNX Runtime, TensorRT, OpenVINO…",
    },
    Format {
        name: "pytorch",
        file: "cnn-playground-pytorch.zip",
        label: "PyTorch project",
        help: "model.py, train.py for torchrun, and the weights: train on, at scale",
    },
    Format {
        name: "pdparams",
        file: "cnn-playground-model.pdparams",
        label: "Paddle .pdparams",
        help: "the state_dict for Paddle's network of the same layers",
    },
];

/// The model written in format `name`: one file's bytes (the PyTorch project as a zip of its
/// folder). `config` is the recipe the PyTorch project's train.py follows, `dataset` the file of
/// the dataset it trains on, if the project is to hold it ([`pytorch::export`]).
pub fn write(
    name: &str,
    model: &Model,
    config: &TrainConfig,
    history: Option<&History>,
    dataset: Option<Vec<u8>>,
) -> Result<Vec<u8>> {
    Ok(match name {
        "safetensors" => checkpoint::save(model, history),
        "onnx" => onnx::export(model, history.and_then(|h| h.data.as_ref()))?,
        "pdparams" => paddle::save(model, history.and_then(|h| h.data.as_ref())),
        "pytorch" => {
            let files: Vec<(String, Vec<u8>)> = pytorch::export(model, config, history, dataset)
                .into_iter()
                .map(|(n, data)| (format!("{}/{n}", pytorch::FOLDER), data))
                .collect();
            zip::write(&files)
        }
        other => {
            let names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
            return Err(Error::Invalid(format!(
                "'{other}' is not one of {}",
                names.join(", ")
            )));
        }
    })
}
