//! A model's file as a user meets it: the model's story travels with its weights, and a file that
//! cannot be a model is refused in plain words (what it is, what was expected, what to do), with
//! the parser's own words kept as the detail.

use cnn_playground::io::checkpoint;
use cnn_playground::nn::{Model, ModelSpec};
use cnn_playground::train::history::Score;
use cnn_playground::train::{History, StepStats, TrainConfig};
use safetensors::tensor::{Dtype, TensorView};
use std::collections::HashMap;

fn story() -> History {
    let mut h = History::initialised(3);
    h.start_run(TrainConfig::default());
    for i in 1..=50 {
        let stats = StepStats {
            loss: 1.0 / i as f32,
            correct: i,
            size: 64,
        };
        h.record_step(&stats, i as f64 / 50.0);
    }
    h.add_seconds(4.25);
    h.end_epoch();
    h.record_evaluation(Score {
        accuracy: 0.97,
        correct: 9700,
        total: 10000,
        loss: 0.1,
    });
    h
}

/// A tensor as a file holds it: name, dtype, shape, bytes.
type Entry = (String, Dtype, Vec<usize>, Vec<u8>);

fn entry(name: &str, dtype: Dtype, shape: &[usize], bytes: Vec<u8>) -> Entry {
    (name.to_string(), dtype, shape.to_vec(), bytes)
}

/// The tensors of a safetensors file.
fn entries(bytes: &[u8]) -> Vec<Entry> {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(n, t)| (n, t.dtype(), t.shape().to_vec(), t.data().to_vec()))
        .collect()
}

/// A safetensors file holding `tensors` and `metadata`.
fn safetensors(tensors: &[Entry], metadata: &[(&str, &str)]) -> Vec<u8> {
    let views = tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()));
    let meta: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

/// The refusal's message and detail for `bytes`.
fn refusal(bytes: &[u8]) -> (String, String) {
    let e = checkpoint::load(bytes).err().expect("refused");
    (e.to_string(), e.detail().unwrap_or("").to_string())
}

#[test]
fn a_models_story_travels_in_its_file() {
    let model = Model::new(&ModelSpec::tutorial(), 3).unwrap();
    let history = story();
    let loaded = checkpoint::load(&checkpoint::save(&model, Some(&history))).unwrap();
    assert_eq!(loaded.history.as_ref(), Some(&history));
    assert_eq!(
        loaded.history.unwrap().epochs[0]
            .test
            .as_ref()
            .unwrap()
            .correct,
        9700
    );
    // PyTorch's file has no story.
    let pytorch = std::fs::read("tests/fixtures/seed_cnn_init.safetensors").unwrap();
    let loaded = checkpoint::load(&pytorch).unwrap();
    assert!(loaded.history.is_none() && loaded.history_error.is_none());
}

#[test]
fn a_story_that_cannot_be_read_is_left_out_and_the_model_kept() {
    let model = Model::new(&ModelSpec::tutorial(), 3).unwrap();
    let tensors = entries(&checkpoint::save(&model, Some(&story())));
    let spec = ModelSpec::tutorial().to_json();
    let bytes = safetensors(
        &tensors,
        &[
            ("architecture", &spec),
            ("history", "{\"steps\": \"many\"}"),
        ],
    );
    let loaded = checkpoint::load(&bytes).unwrap();
    assert!(loaded.history.is_none());
    assert!(loaded
        .history_error
        .unwrap()
        .contains("training history cannot be read"));
}

#[test]
fn files_that_are_not_models_are_named_in_plain_words() {
    let cases: [(&[u8], &str); 5] = [
        (
            b"not a model at all, clearly",
            "This is a text file, not a model.",
        ),
        (b"", "The file is empty."),
        (
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "This is a PNG image, not a model.",
        ),
        (
            b"PK\x03\x04\x14\0\0\0\0\0archive/data.pkl",
            "This PyTorch (torch.save) file cannot be read: the zip archive",
        ),
        (
            b"\x80\x04\x95\x10\0\0\0\0\0\0\0}",
            "This Paddle (.pdparams) file cannot be read: the pickle",
        ),
    ];
    for (bytes, start) in cases {
        let (message, detail) = refusal(bytes);
        assert!(message.starts_with(start), "{message}");
        assert!(
            message.contains(".safetensors"),
            "says what was expected: {message}"
        );
        assert!(
            !message.contains("header"),
            "no parser words in the message: {message}"
        );
        if !bytes.is_empty() {
            assert!(!detail.is_empty(), "the parser's words stay as the detail");
        }
    }
    let (message, _) = refusal(b"PK\x03\x04\x14\0\0\0\0\0archive/data.pkl");
    assert!(
        message.contains("paddle.save(model.state_dict()"),
        "says what to do: {message}"
    );
}

#[test]
fn a_file_cut_short_says_so() {
    let good = checkpoint::save(&Model::new(&ModelSpec::tutorial(), 0).unwrap(), None);
    let (message, detail) = refusal(&good[..good.len() / 2]);
    assert!(
        message.starts_with("This safetensors file is cut short: its tensors need 827688 bytes"),
        "{message}"
    );
    assert!(
        message.contains("save or download the model again"),
        "{message}"
    );
    assert!(!detail.is_empty());
    let (message, _) = refusal(&good[..100]);
    assert!(
        message.starts_with("This safetensors file is cut short: its header alone"),
        "{message}"
    );
}

#[test]
fn weights_that_do_not_fit_name_the_tensor_and_the_shapes() {
    // PyTorch's state_dict of another network: no architecture, so the tutorial's is assumed.
    let other = safetensors(
        &[entry("features.0.weight", Dtype::F32, &[2], vec![0; 8])],
        &[],
    );
    let (message, detail) = refusal(&other);
    assert!(message.starts_with("This file holds the weights of a different network: it has no 'conv1.weight' (16×1×3×3)"), "{message}");
    assert!(
        message.contains("read as the tutorial's network"),
        "{message}"
    );
    assert_eq!(detail, "the file's tensors: 'features.0.weight'");

    let mut wide = ModelSpec::tutorial();
    wide.layers[7] = cnn_playground::nn::LinearSpec::new(64).into();
    let bytes = checkpoint::save(&Model::new(&wide, 0).unwrap(), None);
    let mut model = Model::new(&ModelSpec::tutorial(), 0).unwrap();
    let message = checkpoint::load_into(&mut model, &bytes)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("This file's 'fc1.weight' is 64×1568, but the network needs 128×1568"),
        "{message}"
    );

    let ints = safetensors(
        &[entry(
            "conv1.weight",
            Dtype::I32,
            &[16, 1, 3, 3],
            vec![0; 576],
        )],
        &[],
    );
    let (message, _) = refusal(&ints);
    assert!(
        message.contains(
            "'conv1.weight' is stored as int32, and the playground reads floating-point weights"
        ),
        "{message}"
    );

    let bad_arch = safetensors(
        &[],
        &[(
            "architecture",
            "{\"input\": [1, 28, 28], \"layers\": [{\"type\": \"conv3d\"}]}",
        )],
    );
    let (message, detail) = refusal(&bad_arch);
    assert!(
        message.starts_with("The network described in this file cannot be built here."),
        "{message}"
    );
    assert!(detail.contains("conv3d"), "{detail}");
}

#[test]
fn broken_weights_are_refused() {
    let model = Model::new(&ModelSpec::tutorial(), 0).unwrap();
    let mut tensors = entries(&checkpoint::save(&model, None));
    let fc2 = tensors.iter_mut().find(|t| t.0 == "fc2.bias").unwrap();
    fc2.3[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    let (message, _) = refusal(&safetensors(&tensors, &[]));
    assert!(
        message.starts_with("This file's 'fc2.bias' holds NaN or infinite values"),
        "{message}"
    );
    tensors.retain(|t| t.0 != "fc2.bias");
    tensors.push(entry("fc2.bias", Dtype::F32, &[10], vec![0; 40]));
    tensors.push(entry("fc3.weight", Dtype::F32, &[1], vec![0; 4]));
    let (message, _) = refusal(&safetensors(&tensors, &[]));
    assert!(
        message.starts_with("This file holds tensors the network does not have ('fc3.weight')"),
        "{message}"
    );
}
