//! An epoch as random batches of example indices, drawn without replacement from the examples
//! available so far. The data itself is never copied or reordered, and an epoch can start while
//! the dataset is still arriving (the page streams MNIST): newly loaded examples join the pool.

use crate::rng::Rng;

pub struct Epoch {
    /// Indices not yet drawn this epoch.
    pool: Vec<usize>,
    /// Examples `0..available` have joined the pool.
    available: usize,
    batch_size: usize,
    rng: Rng,
}

impl Epoch {
    pub fn new(batch_size: usize, rng: Rng) -> Self {
        Epoch {
            pool: Vec::new(),
            available: 0,
            batch_size: batch_size.max(1),
            rng,
        }
    }

    /// Examples `0..len` are loaded: those not seen before join this epoch's pool.
    pub fn extend_to(&mut self, len: usize) {
        self.pool.extend(self.available..len);
        self.available = self.available.max(len);
    }

    /// Indices not yet drawn this epoch.
    pub fn remaining(&self) -> usize {
        self.pool.len()
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Draws the next batch into `out`: `batch_size` indices uniformly at random from the pool
    /// (fewer at the end of the epoch). False when the pool is empty. Over a whole epoch this
    /// is a uniformly random permutation, as PyTorch's `shuffle=True`.
    pub fn next_batch(&mut self, out: &mut Vec<usize>) -> bool {
        out.clear();
        for _ in 0..self.batch_size.min(self.pool.len()) {
            let j = self.rng.below(self.pool.len());
            out.push(self.pool.swap_remove(j));
        }
        !out.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_visits_every_index_once() {
        let mut epoch = Epoch::new(64, Rng::new(1));
        epoch.extend_to(130);
        let (mut seen, mut sizes, mut batch) = (Vec::new(), Vec::new(), Vec::new());
        while epoch.next_batch(&mut batch) {
            sizes.push(batch.len());
            seen.extend_from_slice(&batch);
        }
        assert_eq!(sizes, [64, 64, 2]);
        assert_ne!(seen[..10], (0..10).collect::<Vec<_>>()[..], "shuffled");
        seen.sort_unstable();
        assert_eq!(seen, (0..130).collect::<Vec<_>>());
    }

    #[test]
    fn examples_loaded_mid_epoch_join_it() {
        let mut epoch = Epoch::new(10, Rng::new(2));
        epoch.extend_to(15);
        let mut batch = Vec::new();
        assert!(epoch.next_batch(&mut batch));
        assert!(batch.iter().all(|&i| i < 15));
        epoch.extend_to(40);
        epoch.extend_to(40);
        let mut seen = batch.clone();
        while epoch.next_batch(&mut batch) {
            seen.extend_from_slice(&batch);
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
    }
}
