//! Paddle's `.pdparams`: `paddle.save(model.state_dict(), path)`, a pickle of a dict from names
//! to NumPy arrays (older Paddle: to `(parameter name, array)` pairs), read with the safe reader
//! ([`super::pickle`]) and written back so a Paddle user can take a model home.
//!
//! Paddle names and lays out two things differently from PyTorch: `nn.Linear` keeps its weight
//! in×out (PyTorch out×in), and `nn.BatchNorm2D` calls its running statistics `_mean` and
//! `_variance` and keeps no step counter.

use super::pickle::{self, Id, Object, Pickle, Work};
use super::tensors::{too_many, DType, Format, RawTensor, TensorFile, MAX_TENSORS};
use crate::error::{quote, Error, Result};
use crate::nn::Model;
use crate::train::history::TrainedOn;
use std::borrow::Cow;
use std::collections::BTreeMap;

fn bad(message: impl Into<String>) -> Error {
    Error::Format(message.into())
}

/// Paddle's name for one of the playground's (PyTorch's) tensors; None for one Paddle does not
/// keep.
pub fn name(ours: &str) -> Option<String> {
    let (layer, tensor) = ours.rsplit_once('.').unwrap_or(("", ours));
    let theirs = match tensor {
        "running_mean" => "_mean",
        "running_var" => "_variance",
        "num_batches_tracked" => return None,
        other => other,
    };
    Some(format!("{layer}.{theirs}"))
}

/// The arrays of a `.pdparams` file, by Paddle's names.
pub fn read(bytes: &[u8]) -> Result<TensorFile<'static>> {
    let p = pickle::read(bytes, 0)?;
    let items = p
        .dict(p.root)
        .ok_or_else(|| bad("the pickle holds no dict of arrays: it is not a state_dict"))?;
    if items.len() > MAX_TENSORS {
        return Err(too_many("arrays"));
    }
    let mut tensors = BTreeMap::new();
    // A key is made into a name for each array: one long key listed many times would be made
    // many times over.
    let work = Work::for_pickle(&p);
    // Each array copies its bytes: a file whose arrays share one large buffer would copy it
    // again for each, so no more than the file's own size is copied.
    let mut copied = 0usize;
    for &(k, v) in items {
        let name = p
            .str(k)
            .ok_or_else(|| bad("a state_dict key is not text"))?;
        // Paddle's own bookkeeping ("StructuredToParameterName@@").
        if name.ends_with("@@") {
            continue;
        }
        work.spend(name.len())?;
        // Older Paddle pickles each tensor as (its parameter name, its array).
        let array = match p.items(v) {
            Some([_, array]) if matches!(p.get(v), Object::Tuple(_)) => *array,
            _ => v,
        };
        let t = ndarray(&p, array, name)?;
        copied += t.data.len();
        if copied > bytes.len() {
            return Err(bad(
                "the file's arrays share their data, which Paddle's files never do",
            ));
        }
        tensors.insert(name.to_string(), t);
    }
    Ok(TensorFile {
        format: Format::Paddle,
        tensors,
        spec: None,
        described_as: None,
    })
}

/// A NumPy array as pickled: `_reconstruct(ndarray, (0,), b'b')` given the state
/// `(version, shape, dtype, is_fortran, data)`.
fn ndarray(p: &Pickle, id: Id, name: &str) -> Result<RawTensor<'static>> {
    let not = || bad(format!("{} is not a NumPy array of numbers", quote(name)));
    let Object::Call {
        callable,
        state: Some(state),
        ..
    } = p.get(id)
    else {
        return Err(not());
    };
    if !p
        .global(*callable)
        .is_some_and(|(m, n)| m.ends_with("core.multiarray") && n == "_reconstruct")
    {
        return Err(not());
    }
    let state = p.items(*state).ok_or_else(not)?;
    // NumPy's state has a version first since 1.0; older has none.
    let [shape, dtype, fortran, data] =
        state.get(state.len().saturating_sub(4)..).ok_or_else(not)?
    else {
        return Err(not());
    };
    let shape = p.sizes(*shape).ok_or_else(not)?;
    let dtype = numpy_dtype(p, *dtype).ok_or_else(not)?;
    let Object::Bytes(data) = p.get(*data) else {
        return Err(not());
    };
    let mut t = RawTensor::contiguous(dtype, shape, Cow::Owned(data.clone()));
    if p.get(*fortran) == &Object::Bool(true) {
        // Column-major: the first index varies fastest.
        let mut stride = 1usize;
        for (s, &n) in t.strides.iter_mut().zip(&t.shape) {
            *s = stride;
            stride = stride.saturating_mul(n);
        }
    }
    Ok(t)
}

/// `numpy.dtype('f4', False, True)` with state `(3, '<', …)`.
fn numpy_dtype(p: &Pickle, id: Id) -> Option<DType> {
    let Object::Call {
        callable,
        args,
        state,
    } = p.get(id)
    else {
        return None;
    };
    (p.global(*callable)? == ("numpy", "dtype")).then_some(())?;
    let order = state
        .and_then(|s| p.items(s)?.get(1).copied())
        .and_then(|o| p.str(o))
        .unwrap_or("<");
    if order == ">" {
        return Some(DType::Other("big-endian"));
    }
    Some(match p.str(*p.items(*args)?.first()?)? {
        "f4" => DType::F32,
        "f8" => DType::F64,
        "f2" => DType::F16,
        "i8" => DType::I64,
        "i4" => DType::I32,
        _ => DType::Other("a NumPy type the playground does not read"),
    })
}

/// The tensors Paddle keeps transposed: every Linear weight (in×out where PyTorch has out×in).
pub fn transposed(model: &Model) -> Vec<String> {
    model
        .layers()
        .iter()
        .filter(|l| l.about.kind == "fc")
        .map(|l| format!("{}.weight", l.name))
        .collect()
}

/// The key under which the file says what the model was trained on: a JSON text `{"dataset",
/// "classes", "input"}`. Paddle's own bookkeeping keys end in `@@` too, and `set_state_dict`
/// passes over keys the network lacks.
pub const ABOUT_KEY: &str = "cnn_playground@@";

/// The model as a `.pdparams` file for Paddle's network of the same layers: Paddle's names, its
/// Linear weights in×out; with `data`, what it was trained on under [`ABOUT_KEY`].
pub fn save(model: &Model, data: Option<&TrainedOn>) -> Vec<u8> {
    let transposed = transposed(model);
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = model
        .named_tensors()
        .into_iter()
        .filter_map(|(ours, value)| {
            let theirs = name(&ours)?;
            let t = if transposed.contains(&ours) {
                value.t().as_standard_layout().into_owned()
            } else {
                value.as_standard_layout().into_owned()
            };
            Some((theirs, t.shape().to_vec(), t.iter().copied().collect()))
        })
        .collect();
    let about = data.map(|d| {
        let about = serde_json::json!({
            "dataset": d.name,
            "classes": d.classes,
            "input": model.spec().input,
        });
        (ABOUT_KEY, about.to_string())
    });
    write(&tensors, about.as_slice())
}

/// A `.pdparams` file of `tensors` (Paddle's names, Paddle's layouts), as Paddle writes one:
/// pickle protocol 4, a dict of float32 NumPy arrays; then `texts`, keys with text values.
pub fn write(tensors: &[(String, Vec<usize>, Vec<f32>)], texts: &[(&str, String)]) -> Vec<u8> {
    let mut out = vec![0x80, 4, b'}', b'('];
    let text = |out: &mut Vec<u8>, s: &str| {
        out.push(b'X');
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    let int = |out: &mut Vec<u8>, v: i64| {
        out.push(b'J');
        out.extend_from_slice(&(v as i32).to_le_bytes());
    };
    for (name, shape, values) in tensors {
        text(&mut out, name);
        out.extend_from_slice(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n");
        int(&mut out, 0);
        out.extend_from_slice(b"\x85C\x01b\x87R(");
        int(&mut out, 1);
        out.push(b'(');
        for &d in shape {
            int(&mut out, d as i64);
        }
        out.extend_from_slice(b"tcnumpy\ndtype\n");
        text(&mut out, "f4");
        out.extend_from_slice(b"\x89\x88\x87R(");
        int(&mut out, 3);
        text(&mut out, "<");
        out.extend_from_slice(b"NNN");
        int(&mut out, -1);
        int(&mut out, -1);
        int(&mut out, 0);
        out.extend_from_slice(b"tb\x89\x8e");
        out.extend_from_slice(&(values.len() as u64 * 4).to_le_bytes());
        out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        out.extend_from_slice(b"tb");
    }
    for (key, value) in texts {
        text(&mut out, key);
        text(&mut out, value);
    }
    out.extend_from_slice(b"u.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_protocol_2_arrays_whose_bytes_are_latin_1_text() {
        // pickle.dumps({'fc.weight': np.arange(6, dtype=np.float32).reshape(2, 3)}, protocol=2)
        // under NumPy 2.4: the data is `_codecs.encode(text, 'latin1')`.
        let p = b"\x80\x02}q\x00X\x09\x00\x00\x00fc.weightq\x01cnumpy._core.multiarray\n_reconstruct\nq\x02cnumpy\nndarray\nq\x03K\x00\x85q\x04c_codecs\nencode\nq\x05X\x01\x00\x00\x00bq\x06X\x06\x00\x00\x00latin1q\x07\x86q\x08Rq\x09\x87q\x0aRq\x0b(K\x01K\x02K\x03\x86q\x0ccnumpy\ndtype\nq\x0dX\x02\x00\x00\x00f4q\x0e\x89\x88\x87q\x0fRq\x10(K\x03X\x01\x00\x00\x00<q\x11NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x12b\x89h\x05X\x1b\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc2\x80?\x00\x00\x00@\x00\x00@@\x00\x00\xc2\x80@\x00\x00\xc2\xa0@q\x13h\x07\x86q\x14Rq\x15tq\x16bs.";
        let file = read(p).unwrap();
        let w = &file.tensors["fc.weight"];
        assert_eq!(w.shape, [2, 3]);
        assert_eq!(w.values(false).unwrap(), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn what_it_writes_it_reads() {
        let bytes = write(
            &[
                (
                    "fc1.weight".into(),
                    vec![3, 2],
                    vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                ),
                ("fc1.bias".into(), vec![2], vec![-1.0, 0.5]),
            ],
            &[(ABOUT_KEY, r#"{"classes":["a","b"]}"#.into())],
        );
        let file = read(&bytes).unwrap();
        let w = &file.tensors["fc1.weight"];
        assert_eq!(w.shape, [3, 2]);
        assert_eq!(w.values(false).unwrap(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(file.tensors["fc1.bias"].values(false).unwrap(), [-1.0, 0.5]);
        assert_eq!(name("bn1.running_var").as_deref(), Some("bn1._variance"));
        assert_eq!(name("bn1.num_batches_tracked"), None);
        assert_eq!(name("conv1.weight").as_deref(), Some("conv1.weight"));
    }
}
