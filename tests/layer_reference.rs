//! Every layer type beyond the tutorial's against PyTorch (`fixtures/layer_cases.safetensors`,
//! written by scripts/fixtures.py): each case is built from its spec's JSON, as a network builds
//! it, and its output and input gradient compared with PyTorch's. A new layer needs only its
//! case in the script. Runs natively and in the browser.

mod common;

use cnn_playground::nn::spec::Init;
use cnn_playground::nn::{LayerSpec, Mode};
use cnn_playground::rng::Rng;
use common::*;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    layer: LayerSpec,
    input: Vec<usize>,
}

#[test]
fn every_layer_case_matches_pytorch_forward_and_backward() {
    let st = load(LAYER_CASES);
    let cases: Vec<Case> =
        serde_json::from_str(&metadata(LAYER_CASES, "cases").expect("the cases")).unwrap();
    assert!(cases.len() >= 9, "{} cases", cases.len());
    let mut types = std::collections::BTreeSet::new();
    for case in cases {
        let name = &case.name;
        types.insert(case.layer.about().label);
        let planned = case.layer.plan(&case.input).unwrap();
        let mut layer = case
            .layer
            .build(&case.input, &mut Init::new(&mut Rng::new(0), 0, 0))
            .unwrap();
        for p in layer.params_mut() {
            let (v, _) = f32s(&st, &format!("{name}.param.{}", p.name));
            p.value.as_slice_mut().unwrap().copy_from_slice(&v);
        }
        let (x, x_shape) = f32s(&st, &format!("{name}.x"));
        let (want_y, y_shape) = f32s(&st, &format!("{name}.y"));
        assert_eq!(
            y_shape[1..],
            planned.output_shape[..],
            "{name}: output shape"
        );
        let batch = x_shape[0];
        let mut y = vec![f32::NAN; want_y.len()];
        layer.forward(batch, &x, &mut y, Mode::Train);
        check_tensor(&format!("{name} y"), &y, &want_y, 1e-6, 1e-5);
        let (dy, _) = f32s(&st, &format!("{name}.dy"));
        let (want_dx, _) = f32s(&st, &format!("{name}.dx"));
        let mut dx = vec![f32::NAN; x.len()];
        layer.backward(batch, &x, &y, &dy, Some(&mut dx));
        check_tensor(&format!("{name} dx"), &dx, &want_dx, 1e-6, 1e-5);
        for p in layer.params() {
            let (want, _) = f32s(&st, &format!("{name}.grad.{}", p.name));
            check_tensor(
                &format!("{name} d{}", p.name),
                p.grad.as_slice().unwrap(),
                &want,
                1e-5,
                1e-4,
            );
        }
    }
    println!("checked against PyTorch: {types:?}");
}
