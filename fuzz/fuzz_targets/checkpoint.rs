//! A model file, as an upload, a restore from the browser or `eval --weights` meets it: the
//! safetensors container, the architecture in its metadata, its tensors and its history; and
//! PyTorch's and Paddle's pickles, zip and legacy. A model that loads must also run; a refusal
//! is one clean line. Half the mutations are libFuzzer's own; the other half change a PyTorch
//! zip's data.pkl a whole opcode at a time and write the zip again with checksums that hold, so
//! that the zip's CRC check does not refuse every mutant before its pickle is read.
#![no_main]
use cnn_playground::io::{checkpoint, zip};
use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

#[path = "common/pickles.rs"]
mod pickles;

fuzz_target!(|data: &[u8]| {
    match checkpoint::load(data) {
        Ok(mut loaded) => {
            let _ = loaded.model.prove();
        }
        Err(e) => pickles::check_message(&e),
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    if seed % 2 == 0 {
        if let Some(mutant) = mutate_zip(&data[..size], seed) {
            if mutant.len() <= max_size {
                data[..mutant.len()].copy_from_slice(&mutant);
                return mutant.len();
            }
        }
    }
    fuzzer_mutate(data, size, max_size)
});

/// The zip with its data.pkl mutated by opcode, every entry written again.
fn mutate_zip(file: &[u8], seed: u32) -> Option<Vec<u8>> {
    let entries = zip::entries(file).ok()?;
    entries.iter().find(|e| e.name.ends_with("data.pkl"))?;
    let choices: Vec<u8> = (0..64u32)
        .map(|i| (seed.wrapping_mul(2_654_435_761).wrapping_add(i.wrapping_mul(40_503)) >> 13) as u8)
        .collect();
    let mut c = pickles::Choices::new(&choices);
    let files: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|e| {
            let data = if e.name.ends_with("data.pkl") {
                pickles::mutate(e.data, &mut c)
            } else {
                e.data.to_vec()
            };
            (e.name.clone(), data)
        })
        .collect();
    Some(zip::write(&files))
}
