//! A file's tensors as every format's reader hands them over: for each name, an element type, a
//! shape, and where its values lie in the file's bytes (strides and an offset, as PyTorch views a
//! storage). Nothing is converted until the model asks for a tensor with the shape it needs, so a
//! file's claim of a huge tensor costs nothing until its size has been checked.

use crate::error::{printable, Error};
use crate::nn::ModelSpec;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The element types the formats store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    F32,
    F64,
    F16,
    BF16,
    I64,
    I32,
    Other(&'static str),
}

impl DType {
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 => 2,
            DType::Other(_) => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I64 => "int64",
            DType::I32 => "int32",
            DType::Other(name) => name,
        }
    }

    fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }

    /// Element `i` of `data` (little-endian) as f32.
    fn read(self, data: &[u8], i: usize) -> f32 {
        let at = i * self.size();
        let b = &data[at..at + self.size()];
        match self {
            DType::F32 => f32::from_le_bytes(b.try_into().expect("4 bytes")),
            DType::F64 => f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32,
            DType::F16 => f16_to_f32(u16::from_le_bytes(b.try_into().expect("2 bytes"))),
            DType::BF16 => {
                f32::from_bits((u16::from_le_bytes(b.try_into().expect("2 bytes")) as u32) << 16)
            }
            DType::I64 => i64::from_le_bytes(b.try_into().expect("8 bytes")) as f32,
            DType::I32 => i32::from_le_bytes(b.try_into().expect("4 bytes")) as f32,
            DType::Other(_) => unreachable!("refused before reading"),
        }
    }
}

/// IEEE half precision to single, exactly.
fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let bits = match (exp, mant) {
        (0, 0) => sign,
        // Subnormal: shift the mantissa up until it is normal.
        (0, m) => {
            let shift = m.leading_zeros() - 21;
            sign | ((113 - shift) << 23) | (((m << shift) & 0x3ff) << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// One tensor of a file, not yet read.
#[derive(Clone, Debug)]
pub struct RawTensor<'a> {
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// Per dimension, in elements.
    pub strides: Vec<usize>,
    /// The first element's place in `data`, in elements.
    pub offset: usize,
    /// The storage the tensor views.
    pub data: Cow<'a, [u8]>,
}

impl<'a> RawTensor<'a> {
    /// A tensor laid out row-major from the start of `data`.
    pub fn contiguous(dtype: DType, shape: Vec<usize>, data: Cow<'a, [u8]>) -> Self {
        let mut strides = vec![1usize; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1].saturating_mul(shape[i + 1]);
        }
        RawTensor {
            dtype,
            shape,
            strides,
            offset: 0,
            data,
        }
    }

    /// The values, row-major, as f32. The caller has checked the shape against the model's, so
    /// the count is bounded; here every element's place is checked against the storage.
    /// `integer`: an integer tensor is expected (a step counter) and allowed.
    pub fn values(&self, integer: bool) -> std::result::Result<Vec<f32>, String> {
        if !(self.dtype.is_float() || integer && matches!(self.dtype, DType::I64 | DType::I32)) {
            return Err(format!(
                "is stored as {}, and the playground reads floating-point weights",
                self.dtype.name()
            ));
        }
        let stored = self.data.len() / self.dtype.size();
        let count: usize = self.shape.iter().product();
        if count > 0 {
            // The last element's place, the furthest any element lies.
            let last = self
                .shape
                .iter()
                .zip(&self.strides)
                .try_fold(self.offset, |a, (&n, &s)| {
                    a.checked_add((n - 1).checked_mul(s)?)
                });
            if !matches!(last, Some(l) if l < stored) {
                return Err(format!(
                    "needs more values than its storage holds ({stored}): the file is damaged or cut short"
                ));
            }
        }
        let mut out = Vec::with_capacity(count);
        let mut index = vec![0usize; self.shape.len()];
        for _ in 0..count {
            let at = self.offset
                + index
                    .iter()
                    .zip(&self.strides)
                    .map(|(i, s)| i * s)
                    .sum::<usize>();
            out.push(self.dtype.read(&self.data, at));
            for d in (0..index.len()).rev() {
                index[d] += 1;
                if index[d] < self.shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        Ok(out)
    }
}

/// The formats a model file can come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Safetensors,
    /// `torch.save` of a state_dict or a whole module (zip or legacy).
    Torch,
    /// `paddle.save(model.state_dict())`: Linear weights in×out, BatchNorm's `_mean`/`_variance`.
    Paddle,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Safetensors => "safetensors",
            Format::Torch => "PyTorch (torch.save)",
            Format::Paddle => "Paddle (.pdparams)",
        }
    }
}

/// A file's tensors by name, and what else it says of the model.
pub struct TensorFile<'a> {
    pub format: Format,
    pub tensors: BTreeMap<String, RawTensor<'a>>,
    /// The architecture the file describes (ours in metadata, or a module tree recognised).
    pub spec: Option<ModelSpec>,
    /// The file's own name for its architecture, for messages: "the tutorial's CNN module".
    pub described_as: Option<String>,
}

/// The most tensors (and, in a PyTorch module tree, modules) a file may hold: a network here has
/// at most [`crate::nn::plan::MAX_LAYERS`] layers of a few tensors each, so a file of more is
/// refused before its names are made, whatever its format.
pub const MAX_TENSORS: usize = 1000;

/// The refusal of a file of more than [`MAX_TENSORS`] `what` (tensors, modules).
pub fn too_many(what: &str) -> Error {
    Error::Format(format!(
        "the file holds more than {MAX_TENSORS} {what}, more than any network here has (at most {} layers)",
        crate::nn::plan::MAX_LAYERS
    ))
}

/// An error about a file's tensor, in the same words for every format; both its message and the
/// parser's detail on one line, whatever the file put in them (a parser's own words may quote a
/// tensor's name as the file wrote it).
pub fn refuse(message: impl Into<String>, detail: impl Into<String>) -> Error {
    Error::File {
        message: printable(&message.into()),
        detail: printable(&detail.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_float_type_and_strided_views() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert!(f16_to_f32(0x7c00).is_infinite());
        // A 2×3 storage viewed transposed (3×2, strides 1 and 3).
        let data: Vec<u8> = (0..6).flat_map(|v| (v as f32).to_le_bytes()).collect();
        let t = RawTensor {
            dtype: DType::F32,
            shape: vec![3, 2],
            strides: vec![1, 3],
            offset: 0,
            data: Cow::Owned(data),
        };
        assert_eq!(t.values(false).unwrap(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let short = RawTensor {
            offset: 1,
            ..t.clone()
        };
        assert!(short.values(false).unwrap_err().contains("storage"));
        let ints = RawTensor {
            dtype: DType::I64,
            ..t
        };
        assert!(ints.values(false).unwrap_err().contains("int64"));
    }
}
