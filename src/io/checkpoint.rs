//! Checkpoints in safetensors with PyTorch's names and layouts (`conv1.weight` (16,1,3,3), …), so
//! `model.load_state_dict(safetensors.torch.load_file(path))` reads ours and we read PyTorch's.
//! The architecture travels in the file's metadata (`architecture`, a [`ModelSpec`] as JSON), and
//! so does the model's story (`history`, a [`History`] as JSON). PyTorch's `.pt`/`.pth` and
//! Paddle's `.pdparams` load too ([`super::torch`], [`super::paddle`]). A file without an
//! architecture is read as the first network its tensors fit: the one in use, the tutorial's, the
//! improved recipe's.
//!
//! A file that cannot be loaded is refused with what it is, what was expected and what to do
//! ([`Error::File`]); nothing of the model it was meant to replace changes.

use super::identify::{identify, Kind};
use super::tensors::{refuse, too_many, DType, Format, RawTensor, TensorFile, MAX_TENSORS};
use super::{paddle, torch};
use crate::error::{quote, Error, Result};
use crate::nn::{Model, ModelSpec};
use crate::train::{History, Recipe};
use ndarray::ArrayD;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};

const ARCHITECTURE: &str = "architecture";
const HISTORY: &str = "history";
/// BatchNorm's step counter is an int64 scalar in PyTorch's state_dict.
const INTEGER_BUFFERS: [&str; 1] = ["num_batches_tracked"];
/// How a user makes a file we read, said once for every refusal that needs it.
const HOW_TO_SAVE: &str = "Models are .safetensors files (as this page's Download and \
    `cnn-playground train --out` write them), PyTorch's .pt or .pth files from torch.save, or Paddle's \
    .pdparams from paddle.save(model.state_dict(), path).";

fn is_integer(name: &str) -> bool {
    INTEGER_BUFFERS
        .iter()
        .any(|b| name.ends_with(&format!(".{b}")))
}

/// `16×1×3×3`, as the page writes shapes; a file's shape of more dimensions than a tensor has
/// is cut short with a count.
fn dims(shape: &[usize]) -> String {
    const SHOWN: usize = 8;
    let parts: Vec<String> = shape.iter().take(SHOWN).map(|d| d.to_string()).collect();
    match shape.len() {
        0 => "a scalar".into(),
        n if n > SHOWN => format!("{}×… ({n} dimensions)", parts.join("×")),
        _ => parts.join("×"),
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
    let tensors = model.named_tensors();
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

/// The largest safetensors header read: a model of a thousand tensors and its story take well
/// under a megabyte; the parser itself takes up to 100 MB, and a shape of millions of dimensions
/// in it would take several times that once parsed.
const MAX_HEADER: u64 = 16 << 20;

/// The file as safetensors, or a refusal that says what the file is instead.
fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    check_header(bytes)?;
    SafeTensors::deserialize(bytes).map_err(|e| not_safetensors(bytes, &e.to_string()))
}

/// Refuses a safetensors header larger than [`MAX_HEADER`] before it is parsed.
fn check_header(bytes: &[u8]) -> Result<()> {
    let n = bytes
        .get(..8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    if n > MAX_HEADER && (n as usize) < bytes.len() {
        return Err(refuse(
            format!(
                "This safetensors file's header is {} MB, more than any model's (at most {} MB \
                 are read). {HOW_TO_SAVE}",
                n >> 20,
                MAX_HEADER >> 20
            ),
            "",
        ));
    }
    Ok(())
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
    check_header(bytes)?;
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

/// A model built from a file: its architecture (the file's own, or for a file that names none
/// the first of `current` (the model in use), the tutorial's and the improved recipe's that its
/// tensors fit), its weights and, when the file has one, its story.
pub fn load(bytes: &[u8]) -> Result<Checkpoint> {
    load_onto(bytes, None)
}

/// [`load`], trying `current` first for a file that names no architecture.
pub fn load_onto(bytes: &[u8], current: Option<&ModelSpec>) -> Result<Checkpoint> {
    let file = read(bytes)?;
    let build = |spec: &ModelSpec| {
        Model::new(spec, 0).map_err(|e| {
            refuse(
                format!(
                    "The network described in this file cannot be built here: {}.",
                    e.reason()
                ),
                e.to_string(),
            )
        })
    };
    let model = match &file.spec {
        Some(spec) => {
            // A PyTorch module does not record its input's height and width: the ones in use
            // are tried first, then MNIST's (its channels are the first layer's).
            let sized = match current {
                Some(current) if file.format == Format::Torch => {
                    let mut sized = spec.clone();
                    sized.input[1..].copy_from_slice(&current.input[1..]);
                    Model::new(&sized, 0).ok()
                }
                _ => None,
            };
            let mut model = match sized {
                Some(model) => model,
                None => build(spec)?,
            };
            let read_as = match &file.described_as {
                Some(what) => format!(" The file holds {what}, read as its network."),
                None => String::new(),
            };
            load_weights(&mut model, &file, &read_as)?;
            model
        }
        None => {
            let mut candidates: Vec<(ModelSpec, &str)> = Vec::new();
            if let Some(current) = current {
                candidates.push((current.clone(), "the network in use"));
            }
            // The recipes' networks fitted to the data in use, then as they are (MNIST's).
            let recipes = Recipe::all().into_iter().flat_map(|r| {
                let fitted = current.map(|c| r.spec.fitted_like(c));
                fitted
                    .into_iter()
                    .chain([r.spec])
                    .map(move |s| (s, r.network))
            });
            for (spec, network) in recipes {
                if !candidates.iter().any(|(s, _)| *s == spec) {
                    candidates.push((spec, network));
                }
            }
            let mut first_error = None;
            let mut found = None;
            for (spec, name) in &candidates {
                let what = file.described_as.as_deref().unwrap_or("no architecture");
                let assumed = format!(" The file names {what}, so it was read as {name}.");
                let Ok(mut model) = build(spec) else { continue };
                match load_weights(&mut model, &file, &assumed) {
                    Ok(()) => {
                        found = Some(model);
                        break;
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            match found {
                Some(model) => model,
                None => return Err(first_error.expect("the tutorial's network builds")),
            }
        }
    };
    let (history, history_error) = match file.format {
        Format::Safetensors => match read_history(bytes) {
            Ok(h) => (h, None),
            Err(e) => (None, Some(e.to_string())),
        },
        _ => (None, None),
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
    load_weights(model, &read(bytes)?, "")
}

/// The file's tensors, whichever format it is in; a file in none is refused with what it is.
fn read(bytes: &[u8]) -> Result<TensorFile<'_>> {
    let kind = identify(bytes);
    let (format, read) = match kind {
        Kind::TorchZip => (Format::Torch, torch::read(bytes, false)),
        Kind::TorchLegacy => (Format::Torch, torch::read(bytes, true)),
        Kind::Pickle => (Format::Paddle, paddle::read(bytes)),
        _ => return read_safetensors(bytes),
    };
    read.map_err(|e| unreadable(format, e))
}

/// A reader's refusal of a file in `format`, in the same words for every format.
fn unreadable(format: Format, e: Error) -> Error {
    refuse(
        format!(
            "This {} file cannot be read: {}. {HOW_TO_SAVE}",
            format.name(),
            e.reason()
        ),
        e.to_string(),
    )
}

fn read_safetensors(bytes: &[u8]) -> Result<TensorFile<'_>> {
    let file = parse(bytes)?;
    let spec = read_spec(bytes)?;
    if file.len() > MAX_TENSORS {
        return Err(unreadable(Format::Safetensors, too_many("tensors")));
    }
    let mut tensors = std::collections::BTreeMap::new();
    for (name, view) in file.tensors() {
        let dtype = match view.dtype() {
            Dtype::F32 => DType::F32,
            Dtype::F64 => DType::F64,
            Dtype::F16 => DType::F16,
            Dtype::BF16 => DType::BF16,
            Dtype::I64 => DType::I64,
            Dtype::I32 => DType::I32,
            _ => DType::Other("a type the playground does not read"),
        };
        let data = std::borrow::Cow::Borrowed(view.data());
        tensors.insert(
            name,
            RawTensor::contiguous(dtype, view.shape().to_vec(), data),
        );
    }
    Ok(TensorFile {
        format: Format::Safetensors,
        tensors,
        spec,
        described_as: None,
    })
}

/// Loads the file's tensors into `model`, all or nothing; `assumed` says, in a refusal, how the
/// network was chosen.
fn load_weights(model: &mut Model, file: &TensorFile, assumed: &str) -> Result<()> {
    let format = file.format.name();
    let transposed = paddle::transposed(model);
    let expected: Vec<(String, Vec<usize>)> = model
        .named_tensors()
        .into_iter()
        .map(|(n, t)| (n, t.shape().to_vec()))
        .collect();
    let names: Vec<&str> = file.tensors.keys().map(String::as_str).collect();
    let listing = || list(&names);
    let mut loaded = Vec::with_capacity(expected.len());
    let mut used = std::collections::HashSet::new();
    for (name, shape) in &expected {
        // The file's name and layout for this tensor.
        let (theirs, transposed) = match file.format {
            Format::Paddle => match paddle::name(name) {
                Some(n) => (n, transposed.contains(name)),
                None => continue,
            },
            _ => (name.clone(), false),
        };
        let want: Vec<usize> = if transposed {
            shape.iter().rev().copied().collect()
        } else {
            shape.clone()
        };
        let t = file.tensors.get(&theirs).ok_or_else(|| {
            refuse(
                format!(
                    "This file holds the weights of a different network: it has no {} ({}), \
                     which the network needs.{assumed}",
                    quote(&theirs),
                    dims(&want)
                ),
                format!("the file's tensors: {}", listing()),
            )
        })?;
        used.insert(theirs.as_str().to_owned());
        if t.shape != want {
            let layout = if transposed {
                " (Paddle keeps a Linear weight as in×out)"
            } else {
                ""
            };
            return Err(refuse(
                format!(
                    "This file's {} is {}, but the network needs {}{layout}: the weights \
                     come from a different network.{assumed}",
                    quote(&theirs),
                    dims(&t.shape),
                    dims(&want)
                ),
                format!("the file's tensors: {}", listing()),
            ));
        }
        let mut values = t.values(is_integer(name)).map_err(|why| {
            refuse(
                format!("This {format} file's {} {why}.", quote(&theirs)),
                format!("dtype {}", t.dtype.name()),
            )
        })?;
        if values.iter().any(|v| !v.is_finite()) {
            return Err(refuse(
                format!(
                    "This file's {} holds NaN or infinite values: the model was already broken \
                     when it was saved (did its training diverge?). Train it again with a lower learning rate.",
                    quote(&theirs)
                ),
                "",
            ));
        }
        if transposed {
            let (rows, cols) = (want[0], want[1]);
            values = (0..cols * rows)
                .map(|i| values[(i % rows) * cols + i / rows])
                .collect();
        }
        loaded.push((
            name.clone(),
            ArrayD::from_shape_vec(shape.clone(), values).expect("shape checked"),
        ));
    }
    let extra: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !used.contains(*n))
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

/// The first few names, quoted, and how many more.
fn list(names: &[&str]) -> String {
    let shown = names[..names.len().min(4)]
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ");
    match names.len() {
        0 => "none".into(),
        n if n > 4 => format!("{shown} and {} more", n - 4),
        _ => shown,
    }
}
