//! An architecture as JSON, as an #arch= link, the editor or `--arch` gives it: parsed, planned,
//! and — when small enough to run in a fuzzer's memory — built and run forward and backward.
#![no_main]
use cnn_playground::nn::plan::Plan;
use cnn_playground::nn::{Model, ModelSpec};
use libfuzzer_sys::fuzz_target;

/// Networks whose training step needs more than this are planned but not built here.
const RUN_BYTES: u64 = 64 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = ModelSpec::from_json(text) else {
        return;
    };
    let Ok(plan) = Plan::new(&spec) else {
        return;
    };
    if plan.bytes_for_batch(2) <= RUN_BYTES {
        let mut model = Model::new(&spec, 0).expect("a planned network builds");
        let _ = model.prove();
    }
});
