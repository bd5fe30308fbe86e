//! The IDX reader, as `train --data` and the page's streamed MNIST meet it: any bytes as a
//! header and as a whole file, and — the first two bytes saying where the images end — as a
//! set's images and labels (gzipped or not).
#![no_main]
use cnn_playground::data::idx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = idx::parse_header(data);
    let _ = idx::parse(data);
    let Some((cut, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let (images, labels) = rest.split_at((u16::from_be_bytes(*cut) as usize).min(rest.len()));
    let files = [
        ("train-images-idx3-ubyte".to_string(), images.to_vec()),
        ("train-labels-idx1-ubyte".to_string(), labels.to_vec()),
    ];
    if let Ok(d) = idx::read_set("fuzz", "fuzz", &files, 0) {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        let train = &d.train;
        train.gather(&(0..train.len().min(4)).collect::<Vec<_>>(), &mut x, &mut y);
    }
});
