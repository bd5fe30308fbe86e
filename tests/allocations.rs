//! A training step allocates nothing once its buffers have grown: the model keeps every
//! activation and gradient, the trainer its batch and dL/dlogits, the optimiser its state, and
//! the kernels their scratch space, all reused step after step.

use cnn_playground::data::builtin::MNIST;
use cnn_playground::data::Examples;
use cnn_playground::nn::{Model, ModelSpec};
use cnn_playground::rng::Rng;
use cnn_playground::train::{TrainConfig, Trainer};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting the allocations each thread makes.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn a_training_step_allocates_nothing_once_warm() {
    let mut rng = Rng::new(1);
    let n = 256;
    let shape = MNIST.shape();
    let images = (0..n * shape.len()).map(|_| rng.below(256) as u8).collect();
    let labels = (0..n).map(|_| rng.below(10) as u8).collect();
    let data = Examples::new(images, labels, shape, 10).unwrap();
    // Full batches and an epoch's short last one, which must fit in the buffers already grown.
    let batches: Vec<Vec<usize>> = [(0, 64), (64, 128), (128, 160), (160, 224)]
        .iter()
        .map(|&(a, b)| (a..b).collect())
        .collect();
    let recipes = [
        ("the tutorial's network", ModelSpec::tutorial(), 0),
        ("batch norm, dropout and shifts", ModelSpec::improved(), 2),
    ];
    for (name, spec, shift) in recipes {
        let config = TrainConfig {
            shift,
            ..TrainConfig::default()
        };
        let mut trainer = Trainer::new(Model::new(&spec, 0).unwrap(), config, n).unwrap();
        let warm_up = allocations_in(|| {
            trainer.step(&data, &batches[0]).unwrap();
        });
        assert!(
            warm_up > 0,
            "the first step grows the buffers, and the count sees it"
        );
        let count = allocations_in(|| {
            for batch in &batches[1..] {
                trainer.step(&data, batch).unwrap();
            }
        });
        assert_eq!(count, 0, "{name}: {count} allocations in 3 training steps");
    }
}
