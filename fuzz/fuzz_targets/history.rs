//! A model's story as a file's metadata carries it: read, and written back the same.
#![no_main]
use cnn_playground::train::History;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(history) = History::from_json(text) {
        let again = History::from_json(&history.to_json()).expect("a history read is written back");
        assert_eq!(again, history);
    }
});
