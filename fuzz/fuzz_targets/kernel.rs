//! A filter kernel as JSON (`filter --kernel FILE.json`, the page's custom kernel), applied to
//! a small photo.
#![no_main]
use cnn_playground::image::{filters::Filter, Image};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = Filter::from_json(text) {
        let image = Image::new(5, 3, 4, (0..60).map(|i| (i * 17) as u8).collect()).unwrap();
        let _ = filter.apply(&image);
    }
});
