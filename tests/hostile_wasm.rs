//! Every function the page can call, called as a hostile page would: zero, negative, huge and
//! NaN arguments, buffers of the wrong length, values of the wrong type, calls out of order; and
//! the hostile corpus of model files (`hostile/mod.rs`) loaded as the page's worker loads them.
//! Each must return an error or a result; a panic or a stack overflow here is a trap in the
//! page. Run in Chromium by `wasm-pack test`.
#![cfg(target_arch = "wasm32")]

use cnn_playground::wasm::catalogue::{
    check_config, check_setting, describe_model, fit_spec, layer_types, recipes, same_architecture,
    schedules, training_fields,
};
use cnn_playground::wasm::dataset::DatasetReader;
use cnn_playground::wasm::filters::{conv2d, filter_names, fit_input, Photo};
use cnn_playground::wasm::replica::{replica_failed, Replica};
use cnn_playground::wasm::session::{idx_dims, Session};
use js_sys::{Reflect, SharedArrayBuffer, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

mod noise;
use noise::{event, noisy_session, predict, train};

mod hostile;

#[global_allocator]
static ALLOCATOR: hostile::Peak = hostile::Peak;

wasm_bindgen_test_configure!(run_in_browser);

/// JavaScript values of every wrong kind, and the JSON a hostile link or file could hold.
fn hostile_values() -> Vec<JsValue> {
    let mut values = vec![
        JsValue::NULL,
        JsValue::UNDEFINED,
        JsValue::TRUE,
        JsValue::from_f64(f64::NAN),
        JsValue::from_f64(-1.0),
        JsValue::from_f64(1e308),
        JsValue::from_str(""),
        JsValue::from_str("tutorial"),
        js_sys::Array::new().into(),
    ];
    for json in [
        "{}",
        r#"{"input": [1, 28, 28], "layers": "many"}"#,
        r#"{"input": [-1, 28, 28], "layers": []}"#,
        r#"{"input": [1, 1048576, 1048576], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}"#,
        r#"{"input": [1, 28, 28], "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 4294967295}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]}"#,
        r#"{"input": [1, 2, 2], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 65536}]}"#,
        r#"{"epochs": 0}"#,
        r#"{"epochs": 1e300, "batch_size": -5}"#,
        r#"{"batch_size": 4096, "optimizer": {"type": "adam", "lr": -1}}"#,
        r#"{"seed": 18446744073709551615}"#,
        r#"{"kernel": [[1e39]]}"#,
        r#"{"kernel": [[1, 2], [3, 4]], "divsor": 9}"#,
    ] {
        values.push(JSON::parse(json).unwrap());
    }
    let with_nan = JSON::parse(r#"{"optimizer": {"type": "sgd", "lr": 0.1}}"#).unwrap();
    let optimizer = Reflect::get(&with_nan, &"optimizer".into()).unwrap();
    Reflect::set(&optimizer, &"lr".into(), &JsValue::from_f64(f64::NAN)).unwrap();
    values.push(with_nan);
    values
}

const COUNTS: [u32; 5] = [0, 1, 63, 4097, u32::MAX];
const FLOATS: [f32; 6] = [0.0, -1.0, f32::NAN, f32::INFINITY, f32::MIN_POSITIVE, 1e38];

/// The session still answers as it should.
async fn still_works(s: &mut Session) {
    let p = predict(s, &[0.5; 784])
        .await
        .expect("the session still predicts");
    assert_eq!(p.len(), 10);
}

#[wasm_bindgen_test]
fn constructors_and_free_functions_refuse_what_they_cannot_use() {
    for v in hostile_values() {
        let _ = Session::new(v.clone(), JsValue::NULL, 0, JsValue::NULL);
        let _ = Session::new(JsValue::NULL, v.clone(), u32::MAX, JsValue::NULL);
        let _ = Session::new(JsValue::NULL, JsValue::NULL, 0, v.clone());
        let _ = Replica::new(v.clone(), v.clone(), u32::MAX);
        let _ = describe_model(v.clone(), JsValue::NULL);
        let _ = describe_model(JsValue::NULL, v.clone());
        let _ = fit_spec(v.clone(), v.clone());
        let _ = fit_input(vec![0; 16], 2, 2, 4, v.clone());
        let _ = DatasetReader::builtin(&format!("{v:?}"));
        let _ = DatasetReader::stored(&[1, 2, 3]);
        let _ = DatasetReader::zip("x.zip", vec![0; 30], 0, 0);
        let mut s = Session::new(JsValue::NULL, JsValue::NULL, 0, JsValue::NULL).unwrap();
        let _ = s.expect_dataset(v.clone(), 0);
        assert_eq!(
            s.num_params(),
            206_922,
            "a dataset that cannot be read changes nothing"
        );
        assert!(!same_architecture(v.clone(), JsValue::NULL));
        let mut photo = Photo::new(vec![0; 16], 2, 2).unwrap();
        let _ = photo.filter(v.clone());
        let _ = check_config(v.clone());
    }
    for name in ["", "nope", "epochs", "seed", "lr", "\u{0}"] {
        for value in [
            f64::NAN,
            -1.0,
            0.5,
            1e300,
            f64::INFINITY,
            9007199254740993.0,
        ] {
            let _ = check_setting(name, value);
        }
    }
    assert!(
        layer_types().is_ok()
            && recipes().is_ok()
            && schedules().is_ok()
            && training_fields().is_ok()
    );
    for header in [
        &[][..],
        &[0, 0, 8],
        &[0, 0, 8, 0],
        &[
            0, 0, 8, 4, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
            255,
        ],
        &[0, 0, 8, 200, 0, 0, 0, 1],
    ] {
        assert!(idx_dims(header).is_err(), "{header:?}");
    }
    assert!(!filter_names().is_empty());
}

#[wasm_bindgen_test]
fn the_filters_refuse_impossible_shapes_and_sizes() {
    let x = vec![1.0f32; 25];
    let w = vec![1.0f32; 9];
    for (xs, ws, stride, padding) in [
        (vec![1, 1, 5, 5], vec![1, 1, 3, 3], 0, 0),
        (vec![1, 1, 5, 5], vec![1, 1, 3, 3], 1, u32::MAX),
        (vec![1, 1, 5, 5], vec![1, 1, 3, 3], u32::MAX, 0),
        (vec![1, 1, 5, 5], vec![1, 2, 3, 3], 1, 0),
        (vec![u32::MAX, u32::MAX, 5, 5], vec![1, 1, 3, 3], 1, 0),
        (vec![1, 1, 5], vec![1, 1, 3, 3], 1, 0),
        (vec![0, 1, 5, 5], vec![1, 1, 3, 3], 1, 0),
        (vec![1, 1, 5, 5], vec![1, 1, 9, 9], 1, 0),
        (vec![1, 1, 5, 5], vec![1, 1, 3, 3], 1, 40_000),
    ] {
        let _ = conv2d(&x, &xs, &w, &ws, None, stride, padding);
    }
    assert!(conv2d(
        &x,
        &[1, 1, 5, 5],
        &w,
        &[1, 1, 3, 3],
        Some(vec![1.0; 3]),
        1,
        0
    )
    .is_err());
    for (len, width, height) in [
        (0, 0, 0),
        (16, 2, 2),
        (15, 2, 2),
        (16, u32::MAX, 1),
        (16, 1, u32::MAX),
        (4, 1, 1),
    ] {
        if let Ok(mut photo) = Photo::new(vec![0; len], width, height) {
            photo.filter(JsValue::from_str("mean")).unwrap();
        }
    }
}

#[wasm_bindgen_test]
async fn a_session_refuses_bad_arguments_and_keeps_working() {
    let mut s = noisy_session(70, 70);
    for split in ["", "valid", "TRAIN"] {
        assert!(s.add_examples(split, &[], &[]).is_err());
        assert!(s.set_complete(split).is_err());
        assert!(s.expect_examples(split, 5).is_err());
        assert_eq!(s.examples(split), 0);
    }
    for (images, labels) in [
        (vec![0u8; 783], vec![1u8]),
        (vec![0; 784], vec![10]),
        (vec![0; 784 * 2], vec![1]),
    ] {
        assert!(s.add_examples("train", &images, &labels).is_err());
    }
    s.expect_examples("test", u32::MAX).unwrap();
    for pixels in [
        vec![],
        vec![0.5; 783],
        vec![0.5; 785],
        vec![f32::NAN; 784],
        vec![f32::INFINITY; 784],
    ] {
        assert!(s.predict(&pixels).is_err());
        assert!(s.inspect(&pixels).is_err());
    }
    for v in FLOATS {
        let _ = s.set_lr(v);
    }
    for n in COUNTS {
        let _ = s.set_batch_size(n);
        assert!(s.test_image(n.max(70)).is_err());
        assert!(s.test_label(n.max(70)).is_err());
    }
    for name in ["", ".", "conv1", "conv1.", "conv1.weight.x", "fc9.bias"] {
        assert!(s.param(name).is_err(), "{name}");
    }
    for v in hostile_values() {
        let _ = s.reset(v.clone(), JsValue::NULL, 1);
        let _ = s.configure(v.clone());
        still_works(&mut s).await;
    }
    for bytes in [
        &[][..],
        b"text",
        &u64::MAX.to_le_bytes(),
        &[8, 0, 0, 0, 0, 0, 0, 0, b'{'],
    ] {
        assert!(s.load(bytes, Some("x".repeat(100_000))).is_err());
    }
    still_works(&mut s).await;
    for foreign in [SharedArrayBuffer::new(0), SharedArrayBuffer::new(64)] {
        assert!(s.attach_replica(foreign.clone()).is_err());
        replica_failed(foreign);
    }
    s.detach_replica();
    s.detach_replica();
    still_works(&mut s).await;
}

#[wasm_bindgen_test]
async fn calls_out_of_order_are_answered() {
    // Before any data: training waits, measuring and test images are refused.
    let mut s = Session::new(JsValue::NULL, JsValue::NULL, 0, JsValue::NULL).unwrap();
    let events = train(&mut s, u32::MAX).unwrap();
    let report = event(&events, "progress").unwrap();
    assert_eq!(
        Reflect::get(&report, &"steps".into()).unwrap().as_f64(),
        Some(0.0)
    );
    assert!(event(&events, "waiting_for_data").is_some());
    assert!(s.evaluate(10).is_err());
    assert!(s.test_image(0).is_err());
    // Completed twice, data after completion, a measurement in steps of 0, training after a
    // reset mid-measurement, saving and loading in between.
    let mut s = noisy_session(70, 70);
    s.set_complete("train").unwrap();
    s.add_examples("train", &[0; 784], &[3]).unwrap();
    for n in COUNTS {
        let _ = s.evaluate(n);
        let _ = train(&mut s, n.min(100));
    }
    s.evaluate(1).unwrap();
    s.reset(JsValue::NULL, JsValue::NULL, 2).unwrap();
    while Reflect::get(&s.evaluate(7).unwrap(), &"done".into()).unwrap() != JsValue::TRUE {}
    let saved = s.save();
    s.load(&saved, None).unwrap();
    train(&mut s, 3).unwrap();
    s.load(&saved, Some(String::new())).unwrap();
    assert_eq!(s.threads(), 1);
    still_works(&mut s).await;
}

#[wasm_bindgen_test]
async fn hostile_model_files_are_refused_in_a_second_and_256_mb_and_the_model_stays() {
    use wasm_bindgen::JsCast;
    let mut s = noisy_session(0, 0);
    let before = predict(&mut s, &[0.5; 784]).await.unwrap();
    for case in hostile::corpus(false) {
        let bytes = (case.make)();
        let pages = core::arch::wasm32::memory_size(0);
        let start = js_sys::Date::now();
        let (result, peak) = hostile::peak_of(|| s.load(&bytes, Some(case.name.into())));
        let seconds = (js_sys::Date::now() - start) / 1000.0;
        let grown = (core::arch::wasm32::memory_size(0) - pages) * 65536;
        let error: js_sys::Error = result
            .err()
            .unwrap_or_else(|| panic!("{} loaded", case.name))
            .dyn_into()
            .expect("an Error");
        let detail = Reflect::get(&error, &"detail".into())
            .ok()
            .and_then(|d| d.as_string())
            .unwrap_or_default();
        let message = String::from(error.message());
        hostile::check(&case, &message, &detail).unwrap();
        assert!(seconds < hostile::SECONDS, "{}: {seconds} s", case.name);
        assert!(peak < hostile::MEMORY, "{}: {peak} bytes", case.name);
        assert!(
            grown < hostile::MEMORY,
            "{}: memory grew {grown} bytes",
            case.name
        );
        let now = predict(&mut s, &[0.5; 784]).await.unwrap();
        assert_eq!(now, before, "{}", case.name);
    }
}
