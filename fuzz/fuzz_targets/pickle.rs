//! PyTorch's and Paddle's pickles, generated and mutated a whole opcode at a time
//! (`common/pickles.rs`): real files changed, rebuild calls nested and cyclic, containers shared.
//! Each must load and run, or be refused on one clean line; the fuzz run's limits (time and
//! memory per input, scripts/fuzz.sh) catch a walk that is slow or large.
#![no_main]
use cnn_playground::io::checkpoint;
use libfuzzer_sys::fuzz_target;

#[path = "common/pickles.rs"]
mod pickles;
use pickles::Choices;

fuzz_target!(|data: &[u8]| {
    let mut c = Choices::new(data);
    let mode = c.byte();
    let pickle = if mode % 2 == 0 {
        pickles::generate(&mut c)
    } else {
        let seeds = pickles::seeds();
        let seed = &seeds[(mode as usize / 2) % seeds.len()];
        pickles::mutate(seed, &mut c)
    };
    let file = if mode % 4 < 2 {
        pickles::torch_zip(&pickle)
    } else {
        pickle
    };
    match checkpoint::load(&file) {
        Ok(mut loaded) => {
            let _ = loaded.model.prove();
        }
        Err(e) => pickles::check_message(&e),
    }
});
