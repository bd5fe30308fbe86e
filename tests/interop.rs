//! PyTorch's and Paddle's own files (`fixtures/interop/`, written by
//! `scripts/interop_fixtures.py` with both frameworks): each loads, in its architecture, and gives
//! the logits its framework computed; hostile pickles are refused without running anything.

mod common;

use cnn_playground::io::{checkpoint, paddle, zip};
use cnn_playground::nn::{Mode, Model, ModelSpec};
use common::*;
use ndarray::ArrayD;
use safetensors::SafeTensors;

const FIXTURES: &str = "1";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/interop/{name}")).unwrap()
}

fn reference() -> Vec<u8> {
    let bytes = fixture("reference.safetensors");
    assert_eq!(
        metadata(&bytes, "fixtures").as_deref(),
        Some(FIXTURES),
        "tests/fixtures/interop/ is of another version: regenerate it with scripts/interop_fixtures.py"
    );
    bytes
}

/// The model's logits on the reference batch.
fn logits(model: &mut Model, reference: &SafeTensors) -> Vec<f32> {
    let (x, shape) = f32s(reference, "input");
    let x = ArrayD::from_shape_vec(shape, x).unwrap();
    model
        .forward(&x, Mode::Eval)
        .unwrap()
        .iter()
        .copied()
        .collect()
}

fn loads_and_agrees(file: &str, logits_name: &str, spec: Option<&ModelSpec>) -> Model {
    let bytes = reference();
    let reference = SafeTensors::deserialize(&bytes).unwrap();
    let mut model = checkpoint::load(&fixture(file))
        .unwrap_or_else(|e| panic!("{file}: {e} ({:?})", e.detail()))
        .model;
    if let Some(spec) = spec {
        assert_eq!(model.spec(), spec, "{file} is read as the network it holds");
    }
    let (want, _) = f32s(&reference, logits_name);
    check_tensor(file, &logits(&mut model, &reference), &want, 1e-4, 1e-4);
    model
}

#[test]
fn the_tutorials_own_torch_save_files_give_pytorchs_logits() {
    for file in [
        "tutorial_module.pt",
        "tutorial_module_legacy.pt",
        "tutorial_state.pt",
        "tutorial_state_legacy.pt",
    ] {
        let model = loads_and_agrees(file, "logits.tutorial", None);
        assert_eq!(
            model.spec().layers.len(),
            ModelSpec::tutorial().layers.len()
        );
    }
}

#[test]
fn paddles_pdparams_gives_paddles_logits() {
    loads_and_agrees(
        "tutorial.pdparams",
        "logits.paddle",
        Some(&ModelSpec::tutorial()),
    );
}

#[test]
fn a_state_dict_of_the_improved_network_is_read_as_it() {
    loads_and_agrees(
        "improved.pt",
        "logits.improved",
        Some(&ModelSpec::improved()),
    );
}

#[test]
fn a_whole_sequential_is_read_layer_by_layer_in_any_precision() {
    for (file, logits) in [
        ("sequential.pt", "logits.sequential"),
        ("sequential_f64.pt", "logits.sequential_f64"),
        ("sequential_f16.pt", "logits.sequential_f16"),
        ("sequential_bf16.pt", "logits.sequential_bf16"),
    ] {
        let model = loads_and_agrees(file, logits, None);
        let kinds: Vec<&str> = model.spec().layers.iter().map(|l| l.kind()).collect();
        assert_eq!(kinds.len(), 12, "{kinds:?}");
    }
}

#[test]
fn paddle_takes_back_what_it_gave() {
    let mut model = checkpoint::load(&fixture("tutorial.pdparams"))
        .unwrap()
        .model;
    let written = paddle::save(&model, None);
    let mut again = checkpoint::load(&written).unwrap().model;
    let bytes = reference();
    let reference = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(
        logits(&mut model, &reference),
        logits(&mut again, &reference)
    );
    // Paddle's names and layout: fc1.weight in×out.
    let file = paddle::read(&written).unwrap();
    assert_eq!(file.tensors["fc1.weight"].shape, [1568, 128]);
    // What it was trained on, under a key Paddle's set_state_dict passes over; read back the same.
    let digits = cnn_playground::train::history::TrainedOn {
        name: "MNIST".into(),
        classes: (0..10).map(|d| d.to_string()).collect(),
    };
    let named = paddle::save(&model, Some(&digits));
    let text = String::from_utf8_lossy(&named);
    assert!(text.contains(r#"cnn_playground@@"#) && text.contains(r#""classes":["0","1","#));
    assert!(text.contains(r#""input":[1,28,28]"#));
    let mut read_back = checkpoint::load(&named).unwrap().model;
    assert_eq!(
        logits(&mut read_back, &reference),
        logits(&mut again, &reference)
    );
}

/// A pickle as a `.pt` holds it: inside a zip with PyTorch's layout.
fn torch_zip(pickle: &[u8]) -> Vec<u8> {
    zip::write(&[
        ("archive/data.pkl".into(), pickle.to_vec()),
        ("archive/byteorder".into(), b"little".to_vec()),
    ])
}

fn refusal(bytes: &[u8]) -> String {
    match checkpoint::load(bytes) {
        Ok(_) => panic!("loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn hostile_pickles_are_refused_and_nothing_runs() {
    // An unknown global called: the classic os.system payload, in a .pt and as a .pdparams.
    let system = b"\x80\x02cposix\nsystem\nX\x0b\x00\x00\x00touch owned\x85R.";
    for bytes in [torch_zip(system), system.to_vec()] {
        let m = refusal(&bytes);
        assert!(m.contains("posix.system") && m.contains("not run"), "{m}");
    }
    assert!(!std::path::Path::new("owned").exists());
    // A recursion bomb: modules nested a million deep.
    let mut bomb = b"\x80\x02".to_vec();
    for _ in 0..100_000 {
        bomb.extend_from_slice(b"c__main__\nM\n)\x81}X\x08\x00\x00\x00_modules}X\x01\x00\x00\x00m");
    }
    bomb.push(b'N');
    for _ in 0..100_000 {
        bomb.extend_from_slice(b"ssb");
    }
    bomb.push(b'.');
    let m = refusal(&torch_zip(&bomb));
    assert!(
        m.starts_with("This PyTorch (torch.save) file cannot be read"),
        "{m}"
    );
    // A tree whose every module is the child of the next twice over: 2^64 walks if followed.
    let module = |children: &[u8]| -> Vec<u8> {
        let mut m = b"c__main__\nM\n)\x81}X\x08\x00\x00\x00_modules}".to_vec();
        m.extend_from_slice(children);
        m.extend_from_slice(b"sb");
        m
    };
    let mut dag = b"\x80\x02".to_vec();
    dag.extend(module(b""));
    for level in 1..64u8 {
        dag.extend_from_slice(&[b'q', level - 1, b'0']);
        let mut children = Vec::new();
        for name in [b'a', b'b'] {
            children.extend_from_slice(&[b'X', 1, 0, 0, 0, name, b'h', level - 1, b's']);
        }
        dag.extend(module(&children));
    }
    dag.push(b'.');
    let m = refusal(&torch_zip(&dag));
    assert!(m.contains("more than 1000 modules"), "{m}");
    // One list copied by list(...) again and again: more than the file could hold.
    let mut copies = b"\x80\x02cbuiltins\nlist\nq\x00](".to_vec();
    copies.extend(std::iter::repeat_n(&b"K\x07"[..], 1000).flatten());
    copies.extend_from_slice(b"e\x85q\x01");
    copies.extend(std::iter::repeat_n(&b"h\x00h\x01R0"[..], 10_000).flatten());
    copies.push(b'.');
    let m = refusal(&torch_zip(&copies));
    assert!(m.contains("builds more objects than a model file"), "{m}");
    // A memo index of four billion, recalled and stored.
    for memo in [
        &b"\x80\x02j\xff\xff\xff\xff."[..],
        b"\x80\x02}r\xff\xff\xff\xff.",
    ] {
        let m = refusal(&torch_zip(memo));
        assert!(
            m.contains("cannot be read") || m.contains("holds no model"),
            "{m}"
        );
    }
    // Every real file cut short, at many places.
    for file in [
        "tutorial_module.pt",
        "tutorial_state_legacy.pt",
        "tutorial.pdparams",
    ] {
        let bytes = fixture(file);
        for cut in (1..40).map(|i| bytes.len() * i / 40) {
            let m = refusal(&bytes[..cut]);
            assert!(!m.is_empty(), "{file} cut at {cut}");
        }
    }
}

#[test]
fn a_tensor_whose_storage_is_missing_or_short_is_named() {
    let state = fixture("tutorial_state.pt");
    let entries = zip::entries(&state).unwrap();
    let keep = |drop: &str, short: &str| -> Vec<u8> {
        let files: Vec<(String, Vec<u8>)> = entries
            .iter()
            .filter(|e| !e.name.ends_with(drop))
            .map(|e| {
                let mut data = e.data.to_vec();
                if e.name.ends_with(short) {
                    data.truncate(data.len() / 2);
                }
                (e.name.clone(), data)
            })
            .collect();
        zip::write(&files)
    };
    let m = refusal(&keep("data/0", "-"));
    assert!(m.contains("'conv1.weight'") && m.contains("missing"), "{m}");
    let m = refusal(&keep("-", "data/4"));
    assert!(m.contains("'fc1.weight'") && m.contains("storage"), "{m}");
}

#[test]
fn weights_that_do_not_fit_the_network_name_the_tensor() {
    // The tutorial's state_dict onto a wider network in use: the tutorial's network is taken
    // instead, as the file fits it.
    let mut wide = ModelSpec::tutorial();
    wide.layers[7] = cnn_playground::nn::LinearSpec::new(64).into();
    let loaded = checkpoint::load_onto(&fixture("tutorial_state.pt"), Some(&wide)).unwrap();
    assert_eq!(loaded.model.spec(), &ModelSpec::tutorial());
    // Into that network, it is refused by name and shape, and the model is unchanged.
    let mut model = Model::new(&wide, 3).unwrap();
    let weights = |m: &Model| -> Vec<f32> {
        m.named_params()
            .iter()
            .flat_map(|(_, p)| p.value.iter().copied())
            .collect()
    };
    let before = weights(&model);
    let m = checkpoint::load_into(&mut model, &fixture("tutorial_state.pt"))
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with("This file's 'fc1.weight' is 128×1568, but the network needs 64×1568"),
        "{m}"
    );
    assert!(weights(&model) == before, "the model is as it was");
    // Paddle's Linear weights are in×out, and a mismatch says so.
    let m = checkpoint::load_into(&mut model, &fixture("tutorial.pdparams"))
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("'fc1.weight' is 1568×128, but the network needs 1568×64"),
        "{m}"
    );
    assert!(m.contains("in×out"), "{m}");
}
