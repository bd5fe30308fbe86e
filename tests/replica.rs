//! The page's data-parallel training, as far as one thread can test it: a session refuses a
//! buffer that is not a fitting replica's, and when its replica fails mid-step it redoes the
//! step alone and says why. (This runs on the page's main thread, where `Atomics.wait` is not
//! allowed: exactly the failure of a replica that cannot answer. Two workers training together
//! are tested end to end in tests/e2e/train.test.mjs.)
#![cfg(target_arch = "wasm32")]

use cnn_playground::nn::ModelSpec;
use cnn_playground::wasm::replica::Replica;
use js_sys::{Reflect, SharedArrayBuffer};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

mod noise;
use noise::{event, noisy_session, train};

wasm_bindgen_test_configure!(run_in_browser);

fn number(report: &JsValue, key: &str) -> f64 {
    Reflect::get(report, &key.into()).unwrap().as_f64().unwrap()
}

#[wasm_bindgen_test]
fn a_buffer_that_is_not_a_fitting_replicas_is_refused() {
    let mut session = noisy_session(256, 0);
    let foreign = SharedArrayBuffer::new(100);
    assert!(session.attach_replica(foreign).is_err());
    let spec = serde_wasm_bindgen::to_value(&ModelSpec::improved()).unwrap();
    let other = Replica::new(spec, JsValue::NULL, 1).unwrap();
    assert!(session.attach_replica(other.buffer()).is_err());
    assert_eq!(session.threads(), 1);
}

#[wasm_bindgen_test]
fn a_replica_that_fails_mid_step_is_let_go_and_the_step_redone_alone() {
    let mut session = noisy_session(256, 0);
    let replica = Replica::new(JsValue::NULL, JsValue::NULL, 1).unwrap();
    session.attach_replica(replica.buffer()).unwrap();
    assert_eq!(session.threads(), 2);
    let events = train(&mut session, 3).unwrap();
    let report = event(&events, "progress").unwrap();
    assert_eq!(number(&report, "steps"), 3.0);
    assert_eq!(number(&report, "seen"), 3.0 * 64.0);
    assert_eq!(number(&report, "total_steps"), 3.0);
    assert_eq!(session.threads(), 1);
    let lost = event(&events, "replica_lost").expect("a reason");
    let why = Reflect::get(&lost, &"reason".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(why.contains("cannot wait"), "{why}");
    let again = train(&mut session, 1).unwrap();
    assert!(event(&again, "replica_lost").is_none(), "said once");
}
