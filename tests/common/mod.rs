//! Helpers shared by the test files: reading PyTorch's reference tensors (embedded, so the same
//! tests run natively and in the browser) and comparing tensors with a printed largest difference.
#![allow(dead_code)]

use cnn_playground::data::builtin::MNIST;
use cnn_playground::data::Examples;
use cnn_playground::rng::Rng;
use safetensors::{Dtype, SafeTensors};

pub const CONV_CASES: &[u8] = include_bytes!("../fixtures/conv_cases.safetensors");
pub const SEED_CNN_INIT: &[u8] = include_bytes!("../fixtures/seed_cnn_init.safetensors");
pub const SEED_CNN_BATCH: &[u8] = include_bytes!("../fixtures/seed_cnn_batch.safetensors");

pub const LAYER_CASES: &[u8] = include_bytes!("../fixtures/layer_cases.safetensors");

/// The stamp these tests were written for: scripts/fixtures.py's `FIXTURES`.
const FIXTURES: &str = "5";

/// A reference file, once its stamp says it is the one these tests expect.
pub fn load(bytes: &[u8]) -> SafeTensors<'_> {
    let stamp = metadata(bytes, "fixtures");
    assert_eq!(
        stamp.as_deref(),
        Some(FIXTURES),
        "tests/fixtures/ holds references of another version than these tests expect: \
         regenerate them with `python3 scripts/fixtures.py` (it needs torch; see its header)"
    );
    SafeTensors::deserialize(bytes).expect("reference file parses")
}

/// A value of a reference file's metadata.
pub fn metadata(bytes: &[u8], key: &str) -> Option<String> {
    let (_, meta) = SafeTensors::read_metadata(bytes).expect("reference file parses");
    meta.metadata().as_ref()?.get(key).cloned()
}

/// A float tensor's values and shape.
pub fn f32s(st: &SafeTensors, name: &str) -> (Vec<f32>, Vec<usize>) {
    let t = st
        .tensor(name)
        .unwrap_or_else(|_| panic!("reference has no tensor {name}"));
    assert_eq!(t.dtype(), Dtype::F32, "{name} is not F32");
    let v = t
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    (v, t.shape().to_vec())
}

pub fn u8s(st: &SafeTensors, name: &str) -> (Vec<u8>, Vec<usize>) {
    let t = st
        .tensor(name)
        .unwrap_or_else(|_| panic!("reference has no tensor {name}"));
    assert_eq!(t.dtype(), Dtype::U8, "{name} is not U8");
    (t.data().to_vec(), t.shape().to_vec())
}

pub fn i64s(st: &SafeTensors, name: &str) -> Vec<i64> {
    let t = st
        .tensor(name)
        .unwrap_or_else(|_| panic!("reference has no tensor {name}"));
    assert_eq!(t.dtype(), Dtype::I64, "{name} is not I64");
    t.data()
        .chunks_exact(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Asserts `got ≈ want` elementwise: |got − want| ≤ atol + rtol·|want|. Prints the largest
/// difference either way, as llm.c's `check_tensor` does.
pub fn check_tensor(label: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    assert_eq!(
        got.len(),
        want.len(),
        "{label}: {} values, expected {}",
        got.len(),
        want.len()
    );
    let mut worst = (0usize, 0.0f32);
    let mut bad = 0;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let d = (g - w).abs();
        if d.is_nan() || d > atol + rtol * w.abs() {
            bad += 1;
        }
        if d.is_nan() || d > worst.1 {
            worst = (i, d);
        }
    }
    println!(
        "{label}: largest difference {:.3e} at {} ({} values)",
        worst.1,
        worst.0,
        got.len()
    );
    assert!(
        bad == 0,
        "{label}: {bad} of {} values off; worst at {}: got {} want {}",
        got.len(),
        worst.0,
        got[worst.0],
        want[worst.0]
    );
}

/// Gradients are compared relative to the tensor's largest value (shared/README.md).
pub fn check_grad(label: &str, got: &[f32], want: &[f32], rel: f32) {
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    check_tensor(label, got, want, rel * scale, 0.0);
}

/// Random digit-sized images and labels (no files needed, so it serves the browser's tests too).
pub fn synthetic(n: usize, seed: u64) -> Examples {
    let mut rng = Rng::new(seed);
    let shape = MNIST.shape();
    let images = (0..n * shape.len()).map(|_| rng.below(256) as u8).collect();
    let labels = (0..n).map(|_| rng.below(10) as u8).collect();
    Examples::new(images, labels, shape, MNIST.classes.len()).unwrap()
}
