//! The dataset readers, as a user's files meet them: the first byte picks the reader, the rest
//! is the file — a CIFAR tar.gz fed in pieces (the second byte their size), a zip of class
//! folders (every member's contents read), a dataset kept by the page, or a folder's paths (one
//! per line) with images made from the bytes.
#![no_main]
use cnn_playground::data::cifar::Cifar;
use cnn_playground::data::folder::{plan, FolderReader};
use cnn_playground::data::stored;
use cnn_playground::image::Image;
use cnn_playground::io::zip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 4 {
        0 => {
            let Some((&piece, file)) = rest.split_first() else {
                return;
            };
            let mut c = Cifar::new("fuzz.tar.gz");
            for chunk in file.chunks(piece as usize + 1) {
                if c.push(chunk).is_err() {
                    return;
                }
            }
            let _ = c.finish();
        }
        1 => {
            if let Ok(members) = zip::members(rest) {
                let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
                let _ = plan("fuzz", &names);
                for m in &members {
                    let _ = m.contents(1 << 20);
                }
            }
        }
        2 => {
            let _ = stored::load(rest);
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            let paths: Vec<&str> = text.lines().collect();
            let Ok(p) = plan("fuzz", &paths) else { return };
            let n = p.images.len();
            let Ok(mut reader) = FolderReader::new(p, None) else { return };
            for i in 0..n {
                // Sizes from the bytes: 1–80 px a side, gray or RGBA.
                let b = rest.get(i % rest.len().max(1)).copied().unwrap_or(1) as usize;
                let (w, h, c) = (1 + b % 80, 1 + (b / 3) % 80, if b % 2 == 0 { 1 } else { 4 });
                let image = Image::new(w, h, c, vec![b as u8; w * h * c]);
                if reader.add(i, image).is_err() {
                    return;
                }
            }
            let _ = reader.finish("fuzz", 0);
        }
    }
});
