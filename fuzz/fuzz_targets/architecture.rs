//! An architecture as JSON, as an #arch= link, the editor or `--arch` gives it: parsed, planned,
//! and — when small enough to run in a fuzzer's memory and its time per input — built and run
//! forward and backward.
#![no_main]
use cnn_playground::nn::plan::Plan;
use cnn_playground::nn::{Model, ModelSpec};
use libfuzzer_sys::fuzz_target;

/// Networks whose training step needs more than this are planned but not built here.
const RUN_BYTES: u64 = 64 << 20;
/// Nor those whose forward pass takes more than this per image: a valid network that is slow
/// (a second or more under the sanitizer) is not a finding.
const RUN_FLOPS: u64 = 20_000_000;

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
    let flops: u64 = plan.layers.iter().map(|l| l.flops).sum();
    if plan.bytes_for_batch(2) <= RUN_BYTES && flops <= RUN_FLOPS {
        let mut model = Model::new(&spec, 0).expect("a planned network builds");
        let _ = model.prove();
    }
});
