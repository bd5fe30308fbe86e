//! Checkpoints in safetensors with PyTorch's names and layouts (`conv1.weight` (16,1,3,3), …), so
//! `model.load_state_dict(safetensors.torch.load_file(path))` reads ours and we read PyTorch's.
//! The architecture travels in the file's metadata (`architecture`, a [`ModelSpec`] as JSON);
//! a file without it (saved by PyTorch) is taken to be the tutorial's network.

use crate::error::{Error, Result};
use crate::nn::{Model, ModelSpec};
use ndarray::ArrayD;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};

const ARCHITECTURE: &str = "architecture";
/// BatchNorm's step counter is an int64 scalar in PyTorch's state_dict.
const INTEGER_BUFFERS: [&str; 1] = ["num_batches_tracked"];

fn is_integer(name: &str) -> bool {
    INTEGER_BUFFERS
        .iter()
        .any(|b| name.ends_with(&format!(".{b}")))
}

/// The model's parameters and buffers as a safetensors file.
pub fn save(model: &Model) -> Vec<u8> {
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
    let metadata = HashMap::from([
        (ARCHITECTURE.to_string(), model.spec().to_json()),
        ("format".to_string(), "pt".to_string()),
    ]);
    safetensors::serialize(views, Some(metadata)).expect("serialising in memory cannot fail")
}

fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    SafeTensors::deserialize(bytes)
        .map_err(|e| Error::Format(format!("not a safetensors file ({e})")))
}

/// The architecture stored in a checkpoint, or None when the file has none.
pub fn read_spec(bytes: &[u8]) -> Result<Option<ModelSpec>> {
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::Format(format!("not a safetensors file ({e})")))?;
    meta.metadata()
        .as_ref()
        .and_then(|m| m.get(ARCHITECTURE))
        .map(|json| ModelSpec::from_json(json))
        .transpose()
}

/// A model built from a checkpoint: its architecture (or the tutorial's) and its weights.
pub fn load(bytes: &[u8]) -> Result<Model> {
    let spec = read_spec(bytes)?.unwrap_or_else(ModelSpec::tutorial);
    let mut model = Model::new(&spec, 0)?;
    load_into(&mut model, bytes)?;
    Ok(model)
}

/// Replaces the model's weights with the file's. Every tensor must be there with the model's
/// shape, and nothing else: a mismatch is refused with a message naming the tensor, and the
/// model is left as it was.
pub fn load_into(model: &mut Model, bytes: &[u8]) -> Result<()> {
    let file = parse(bytes)?;
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
    let mut loaded = Vec::with_capacity(expected.len());
    for (name, shape) in &expected {
        let t = file.tensor(name).map_err(|_| {
            Error::Format(format!(
                "the file has no tensor '{name}' (the model needs {shape:?})"
            ))
        })?;
        if t.shape() != shape.as_slice() {
            return Err(Error::Format(format!(
                "'{name}' has shape {:?} in the file, the model needs {shape:?}",
                t.shape()
            )));
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
                return Err(Error::Format(format!(
                    "'{name}' is {other:?}; expected F32"
                )))
            }
        };
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::Format(format!(
                "'{name}' contains NaN or infinite values"
            )));
        }
        loaded.push((
            name.clone(),
            ArrayD::from_shape_vec(shape.clone(), values).expect("shape checked"),
        ));
    }
    let known: std::collections::HashSet<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    let mut extra: Vec<&str> = file
        .names()
        .into_iter()
        .filter(|n| !known.contains(n))
        .collect();
    if !extra.is_empty() {
        extra.sort_unstable();
        let more = if extra.len() > 3 {
            format!(" and {} more", extra.len() - 3)
        } else {
            String::new()
        };
        return Err(Error::Format(format!(
            "the file has tensors this model does not have: {}{more}",
            extra[..extra.len().min(3)].join(", ")
        )));
    }
    for (name, value) in loaded {
        *model.tensor_mut(&name).expect("name comes from the model") = value;
    }
    Ok(())
}
