//! A PNG file, as `filter --input` reads it, decoded and filtered.
#![no_main]
use cnn_playground::image::{filters::Filter, png};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = png::decode(data) {
        if image.width * image.height <= 1 << 16 {
            let _ = Filter::named("mean").unwrap().apply(&image);
        }
    }
});
