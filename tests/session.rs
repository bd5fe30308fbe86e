//! The page's session as its worker drives it: every step goes into the model's story, which
//! travels with the saved bytes; a measurement on the test set runs in slices and is kept; a new
//! run keeps the weights; a file that is not a model is refused with its detail and changes
//! nothing. (The worker and the panels around it are tested end to end in tests/e2e/.)
#![cfg(target_arch = "wasm32")]

use cnn_playground::wasm::session::Session;
use js_sys::Reflect;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

mod noise;
use noise::{event, noisy_session, predict, train};

wasm_bindgen_test_configure!(run_in_browser);

/// JSON as the page sends it: plain objects.
fn js(json: serde_json::Value) -> JsValue {
    use serde::Serialize;
    json.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap()
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| {
        Reflect::get(&v, &key.into()).unwrap()
    })
}

fn number(value: &JsValue, path: &str) -> f64 {
    get(value, path)
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number"))
}

#[wasm_bindgen_test]
fn every_step_is_in_the_story_and_the_story_travels_with_the_bytes() {
    let mut session = noisy_session(256, 256);
    let events = train(&mut session, 4).unwrap();
    // 4 steps of 64 of 256 images: a quarter each, so 4 curve points and the epoch's end.
    let progress = event(&events, "progress").unwrap();
    assert_eq!(js_sys::Array::from(&get(&progress, "points")).length(), 4);
    assert_eq!(
        number(&event(&events, "epoch").unwrap(), "record.epoch"),
        1.0
    );
    let history = session.history().unwrap();
    assert_eq!(number(&history, "steps"), 4.0);
    assert!(number(&history, "seconds") >= 0.0);

    let mut other = Session::new(JsValue::NULL, JsValue::NULL, 9, JsValue::NULL).unwrap();
    other
        .load(&session.save(), Some("mine.safetensors".into()))
        .unwrap();
    let loaded = other.history().unwrap();
    assert_eq!(
        get(&loaded, "file").as_string().unwrap(),
        "mine.safetensors"
    );
    assert_eq!(number(&loaded, "steps"), 4.0);
    assert_eq!(js_sys::Array::from(&get(&loaded, "curve")).length(), 4);
    // Restored from the browser: no new name, the stored story as it was.
    other.load(&session.save(), None).unwrap();
    assert!(get(&other.history().unwrap(), "file").is_null());

    // Measured right at the epoch's end, the score is that epoch's, and it travels too.
    while !get(&session.evaluate(1000).unwrap(), "done")
        .as_bool()
        .unwrap()
    {}
    other.load(&session.save(), None).unwrap();
    let epoch = js_sys::Array::from(&get(&other.history().unwrap(), "epochs")).get(0);
    assert_eq!(number(&epoch, "test.total"), 256.0);
}

#[wasm_bindgen_test]
fn a_measurement_runs_in_slices_and_the_story_keeps_it() {
    let mut session = noisy_session(256, 256);
    let first = session.evaluate(100).unwrap();
    assert_eq!(get(&first, "done").as_bool(), Some(false));
    assert_eq!(number(&first, "evaluated"), 100.0);
    assert_eq!(number(&first, "total"), 256.0);
    session.evaluate(100).unwrap();
    let last = session.evaluate(100).unwrap();
    assert_eq!(get(&last, "done").as_bool(), Some(true));
    assert_eq!(js_sys::Array::from(&get(&last, "confusion")).length(), 100);
    let correct = number(&last, "correct");
    assert_eq!(
        number(&session.history().unwrap(), "evaluation.score.correct"),
        correct
    );
    // A step in between starts the measurement again, on the new weights.
    session.evaluate(100).unwrap();
    train(&mut session, 1).unwrap();
    assert_eq!(number(&session.evaluate(100).unwrap(), "evaluated"), 100.0);
}

#[wasm_bindgen_test]
async fn a_new_run_keeps_the_weights_and_bad_settings_change_nothing() {
    let mut session = noisy_session(256, 256);
    train(&mut session, 2).unwrap();
    let pixels = vec![0.5f32; 784];
    let before = predict(&mut session, &pixels).await.unwrap();
    let config = js(serde_json::json!({
        "epochs": 2, "batch_size": 32, "optimizer": {"type": "sgd", "lr": 0.01}
    }));
    session.configure(config).unwrap();
    assert_eq!(
        predict(&mut session, &pixels).await.unwrap(),
        before,
        "the weights stay"
    );
    let history = session.history().unwrap();
    assert_eq!(number(&history, "config.batch_size"), 32.0);
    assert_eq!(number(&history, "steps"), 2.0, "the story goes on");
    let report = event(&train(&mut session, 1).unwrap(), "progress").unwrap();
    assert_eq!(
        (number(&report, "seen"), number(&report, "epoch")),
        (32.0, 1.0)
    );
    let bad = js(serde_json::json!({ "batch_size": 0 }));
    assert!(session.configure(bad).is_err());
    assert_eq!(
        number(&session.history().unwrap(), "config.batch_size"),
        32.0
    );
}

#[wasm_bindgen_test]
async fn a_file_that_is_not_a_model_is_refused_with_its_detail_and_changes_nothing() {
    let mut session = noisy_session(256, 256);
    let pixels = vec![0.25f32; 784];
    let before = predict(&mut session, &pixels).await.unwrap();
    let err = session
        .load(b"my notes about convolutions", Some("notes.txt".into()))
        .unwrap_err();
    let message = get(&err, "message").as_string().unwrap();
    assert!(
        message.starts_with("This is a text file, not a model."),
        "{message}"
    );
    assert!(!get(&err, "detail").as_string().unwrap().is_empty());
    assert_eq!(predict(&mut session, &pixels).await.unwrap(), before);
    assert!(get(&session.history().unwrap(), "file").is_null());
}
