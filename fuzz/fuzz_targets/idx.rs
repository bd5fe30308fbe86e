//! The IDX reader, as `train --data` and the page's streamed MNIST meet it: any bytes as a
//! header and as a whole file, and — the first two bytes saying where the images end — as a
//! dataset's images and labels.
#![no_main]
use cnn_playground::data::{idx, Dataset};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = idx::parse_header(data);
    let _ = idx::parse(data);
    let Some((cut, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let (images, labels) = rest.split_at((u16::from_be_bytes(*cut) as usize).min(rest.len()));
    if let Ok(d) = Dataset::from_idx(images, labels) {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        d.gather(&(0..d.len().min(4)).collect::<Vec<_>>(), &mut x, &mut y);
    }
});
