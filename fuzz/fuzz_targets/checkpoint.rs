//! A model file, as an upload, a restore from the browser or `eval --weights` meets it: the
//! safetensors container, the architecture in its metadata, its tensors and its history; and
//! PyTorch's and Paddle's pickles, zip and legacy. A model that loads must also run.
#![no_main]
use cnn_playground::io::checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut loaded) = checkpoint::load(data) {
        let _ = loaded.model.prove();
    }
});
