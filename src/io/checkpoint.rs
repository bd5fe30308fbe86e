//! Checkpoints in safetensors with PyTorch's names and layouts (`conv1.weight` (16,1,3,3), …), so
//! `model.load_state_dict(safetensors.torch.load_file(path))` reads ours and we read PyTorch's.
//! The architecture travels in the file's metadata (`architecture`, a [`ModelSpec`] as JSON), and
//! so does the model's story (`history`, a [`History`] as JSON); a file without an architecture
//! (saved by PyTorch) is taken to be the tutorial's network.
//!
//! A file that cannot be loaded is refused with what it is, what was expected and what to do
//! ([`Error::File`]); nothing of the model it was meant to replace changes.

use super::identify::{identify, Kind};
use crate::error::{Error, Result};
use crate::nn::{Model, ModelSpec};
use crate::train::History;
use ndarray::ArrayD;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};

const ARCHITECTURE: &str = "architecture";
const HISTORY: &str = "history";
/// BatchNorm's step counter is an int64 scalar in PyTorch's state_dict.
const INTEGER_BUFFERS: [&str; 1] = ["num_batches_tracked"];
/// How a user makes a file we read, said once for every refusal that needs it.
const HOW_TO_SAVE: &str = "Models are .safetensors files, as this page's Download, \
    `cnn-playground train --out` or PyTorch's safetensors.torch.save_file(model.state_dict(), path) write them.";

fn is_integer(name: &str) -> bool {
    INTEGER_BUFFERS
        .iter()
        .any(|b| name.ends_with(&format!(".{b}")))
}

/// A refusal: what is wrong in plain words, and the technical detail apart.
fn refuse(message: impl Into<String>, detail: impl Into<String>) -> Error {
    Error::File {
        message: message.into(),
        detail: detail.into(),
    }
}

/// `16×1×3×3`, as the page writes shapes.
fn dims(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if parts.is_empty() {
        "a scalar".into()
    } else {
        parts.join("×")
    }
}

/// A model read from a checkpoint, with its story when the file carries one.
pub struct Checkpoint {
    pub model: Model,
    pub history: Option<History>,
    /// Why a history in the file was left out (it could not be read); the model is whole.
    pub history_error: Option<String>,
}

/// The model's parameters and buffers as a safetensors file, with its story when given.
pub fn save(model: &Model, history: Option<&History>) -> Vec<u8> {
    let mut bytes: BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)> = BTreeMap::new();
    let tensors = model
        .named_params()
        .into_iter()
        .map(|(n, p)| (n, &p.value))
        .chain(
            model
                .named_buffers()
                .into_iter()
                .map(|(n, b)| (n, &b.value)),
        );
    for (name, value) in tensors {
        let entry = if is_integer(&name) {
            (
                Dtype::I64,
                value.shape().to_vec(),
                value
                    .iter()
                    .flat_map(|&v| (v as i64).to_le_bytes())
                    .collect(),
            )
        } else {
            (
                Dtype::F32,
                value.shape().to_vec(),
                value.iter().flat_map(|v| v.to_le_bytes()).collect(),
            )
        };
        bytes.insert(name, entry);
    }
    let views = bytes.iter().map(|(name, (dtype, shape, data))| {
        (
            name.clone(),
            TensorView::new(*dtype, shape.clone(), data).expect("sizes agree"),
        )
    });
    let mut metadata = HashMap::from([
        (ARCHITECTURE.to_string(), model.spec().to_json()),
        ("format".to_string(), "pt".to_string()),
    ]);
    if let Some(history) = history {
        metadata.insert(HISTORY.to_string(), history.to_json());
    }
    safetensors::serialize(views, Some(metadata)).expect("serialising in memory cannot fail")
}

/// The file as safetensors, or a refusal that says what the file is instead.
fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    SafeTensors::deserialize(bytes).map_err(|e| not_safetensors(bytes, &e.to_string()))
}

fn not_safetensors(bytes: &[u8], detail: &str) -> Error {
    let kind = identify(bytes);
    let message = match kind {
        Kind::Empty => format!("The file is empty. {HOW_TO_SAVE}"),
        Kind::Safetensors => damaged(bytes),
        _ => {
            let mut m = format!("This is {}, not a model. {HOW_TO_SAVE}", kind.name());
            if let Some(advice) = kind.advice() {
                m.push(' ');
                m.push_str(advice);
            }
            m
        }
    };
    refuse(message, detail)
}

/// A safetensors file that does not parse: most often cut short by an interrupted download.
fn damaged(bytes: &[u8]) -> String {
    let again = "The download or copy was probably interrupted: save or download the model again.";
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("identified as safetensors"));
    let available = bytes.len() as u64 - 8;
    if n > available {
        return format!(
            "This safetensors file is cut short: its header alone should be {n} bytes, but the file holds {available} after the length. {again}"
        );
    }
    // The header is whole: compare the bytes its tensors need with those present.
    let needed = std::str::from_utf8(&bytes[8..8 + n as usize])
        .ok()
        .and_then(|h| serde_json::from_str::<serde_json::Value>(h).ok())
        .and_then(|h| {
            h.as_object()?
                .values()
                .filter_map(|t| t.get("data_offsets")?.get(1)?.as_u64())
                .max()
        });
    match needed {
        Some(needed) if needed > available - n => format!(
            "This safetensors file is cut short: its tensors need {needed} bytes, but it holds {}. {again}",
            available - n
        ),
        _ => format!("This safetensors file is damaged: its header does not describe its contents. {again}"),
    }
}

/// The architecture stored in a checkpoint, or None when the file has none.
pub fn read_spec(bytes: &[u8]) -> Result<Option<ModelSpec>> {
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| not_safetensors(bytes, &e.to_string()))?;
    meta.metadata()
        .as_ref()
        .and_then(|m| m.get(ARCHITECTURE))
        .map(|json| {
            ModelSpec::from_json(json).map_err(|e| {
                refuse(
                    "The network described in this file cannot be built here. The file may have been \
                     edited by hand, or written by a newer version of the playground.",
                    e.to_string(),
                )
            })
        })
        .transpose()
}

/// The story stored in a checkpoint: None when the file has none, an error when it has one that
/// cannot be read.
fn read_history(bytes: &[u8]) -> Result<Option<History>> {
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| not_safetensors(bytes, &e.to_string()))?;
    meta.metadata()
        .as_ref()
        .and_then(|m| m.get(HISTORY))
        .map(|json| History::from_json(json))
        .transpose()
}

/// A model built from a checkpoint: its architecture (or the tutorial's), its weights and, when
/// the file has one, its story.
pub fn load(bytes: &[u8]) -> Result<Checkpoint> {
    let spec = read_spec(bytes)?;
    let described = spec.is_some();
    let mut model = Model::new(&spec.unwrap_or_else(ModelSpec::tutorial), 0).map_err(|e| {
        refuse(
            format!(
                "The network described in this file cannot be built here: {}.",
                e.reason()
            ),
            e.to_string(),
        )
    })?;
    load_weights(&mut model, bytes, described)?;
    let (history, history_error) = match read_history(bytes) {
        Ok(h) => (h, None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(Checkpoint {
        model,
        history,
        history_error,
    })
}

/// Replaces the model's weights with the file's (whatever architecture the file describes).
/// Every tensor must be there with the model's shape, and nothing else: a mismatch is refused
/// with a message naming the tensor, and the model is left as it was.
pub fn load_into(model: &mut Model, bytes: &[u8]) -> Result<()> {
    load_weights(model, bytes, true)
}

/// `described`: the model was built from the file's own architecture (otherwise the tutorial's
/// was assumed, which the messages say).
fn load_weights(model: &mut Model, bytes: &[u8], described: bool) -> Result<()> {
    let file = parse(bytes)?;
    let assumed = if described {
        ""
    } else {
        " The file names no architecture, so it was read as the tutorial's network (conv1, conv2, \
         fc1, fc2, as in its PyTorch code)."
    };
    let expected: Vec<(String, Vec<usize>)> = model
        .named_params()
        .into_iter()
        .map(|(n, p)| (n, p.value.shape().to_vec()))
        .chain(
            model
                .named_buffers()
                .into_iter()
                .map(|(n, b)| (n, b.value.shape().to_vec())),
        )
        .collect();
    let mut names = file.names();
    names.sort_unstable();
    let listing = || list(&names);
    let mut loaded = Vec::with_capacity(expected.len());
    for (name, shape) in &expected {
        let t = file.tensor(name).map_err(|_| {
            refuse(
                format!(
                    "This file holds the weights of a different network: it has no '{name}' ({}), \
                     which the network needs.{assumed}",
                    dims(shape)
                ),
                format!("the file's tensors: {}", listing()),
            )
        })?;
        if t.shape() != shape.as_slice() {
            return Err(refuse(
                format!(
                    "This file's '{name}' is {}, but the network needs {}: the weights come from a \
                     different network.{assumed}",
                    dims(t.shape()),
                    dims(shape)
                ),
                format!("the file's tensors: {}", listing()),
            ));
        }
        let values: Vec<f32> = match t.dtype() {
            Dtype::F32 => t
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect(),
            Dtype::I64 if is_integer(name) => t
                .data()
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().unwrap()) as f32)
                .collect(),
            other => {
                return Err(refuse(
                    format!(
                        "This file stores '{name}' as {other:?}, and the playground reads 32-bit floats \
                         (F32). In PyTorch, save {{k: v.float() for k, v in model.state_dict().items()}} instead."
                    ),
                    format!("dtype {other:?}"),
                ))
            }
        };
        if values.iter().any(|v| !v.is_finite()) {
            return Err(refuse(
                format!(
                    "This file's '{name}' holds NaN or infinite values: the model was already broken \
                     when it was saved (did its training diverge?). Train it again with a lower learning rate."
                ),
                "",
            ));
        }
        loaded.push((
            name.clone(),
            ArrayD::from_shape_vec(shape.clone(), values).expect("shape checked"),
        ));
    }
    let known: std::collections::HashSet<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    let extra: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !known.contains(n))
        .collect();
    if !extra.is_empty() {
        return Err(refuse(
            format!(
                "This file holds tensors the network does not have ({}): the weights come from a \
                 different network.{assumed}",
                list(&extra)
            ),
            format!("the file's tensors: {}", listing()),
        ));
    }
    for (name, value) in loaded {
        *model.tensor_mut(&name).expect("name comes from the model") = value;
    }
    Ok(())
}

/// The first few names, and how many more.
fn list(names: &[&str]) -> String {
    let shown = names[..names.len().min(4)].join(", ");
    match names.len() {
        0 => "none".into(),
        n if n > 4 => format!("{shown} and {} more", n - 4),
        _ => shown,
    }
}
