//! Sessions for the tests that run in the browser: a fresh tutorial network with `train` and
//! `test` images of noise loaded (labels 0–9 in turn), each split complete when it has any.
#![cfg(target_arch = "wasm32")]

use cnn_playground::wasm::session::Session;
use js_sys::{Array, Reflect};
use wasm_bindgen::JsValue;

/// The event of `type` among those a call to `Session::train` returned, if there is one.
pub fn event(events: &JsValue, kind: &str) -> Option<JsValue> {
    Array::from(events).iter().find(|e| {
        Reflect::get(e, &"type".into())
            .unwrap()
            .as_string()
            .as_deref()
            == Some(kind)
    })
}

pub fn noisy_session(train: usize, test: usize) -> Session {
    let mut session = Session::new(JsValue::NULL, JsValue::NULL, 0, JsValue::NULL).unwrap();
    for (split, n) in [("train", train), ("test", test)] {
        if n == 0 {
            continue;
        }
        let images: Vec<u8> = (0..n * 784).map(|i| (i * 31 % 256) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        session.add_examples(split, &images, &labels).unwrap();
        session.set_complete(split).unwrap();
    }
    session
}

/// `train` and then `report`, as the worker calls them: on the CPU the steps are taken when
/// `train` returns, so their events are there at once.
pub fn train(session: &mut Session, steps: u32) -> Result<JsValue, JsValue> {
    // Resolved already: the CPU's steps are done.
    let _done = session.train(steps)?;
    session.report()
}

/// The class probabilities `predict` resolves to.
#[allow(dead_code)] // not every test that shares this module predicts
pub async fn predict(session: &mut Session, pixels: &[f32]) -> Result<Vec<f32>, JsValue> {
    let promise = session.predict(pixels)?;
    let resolved = wasm_bindgen_futures::JsFuture::from(promise).await?;
    Ok(js_sys::Float32Array::from(resolved).to_vec())
}
