//! An epoch as shuffled batches of indices: the data itself is never copied or reordered.

use crate::rng::Rng;

pub struct Batches {
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
}

impl Batches {
    /// All `n` indices in a random order from `rng` (PyTorch's `shuffle=True`), in batches of
    /// `batch_size`; the last batch may be smaller.
    pub fn shuffled(n: usize, batch_size: usize, rng: &mut Rng) -> Self {
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        Batches {
            order,
            batch_size: batch_size.max(1),
            next: 0,
        }
    }

    /// In order (evaluation).
    pub fn sequential(n: usize, batch_size: usize) -> Self {
        Batches {
            order: (0..n).collect(),
            batch_size: batch_size.max(1),
            next: 0,
        }
    }

    pub fn count(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// The next batch of indices, or None at the end of the epoch.
    pub fn next_batch(&mut self) -> Option<&[usize]> {
        let start = self.next;
        if start >= self.order.len() {
            return None;
        }
        self.next = (start + self.batch_size).min(self.order.len());
        Some(&self.order[start..self.next])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_visits_every_index_once() {
        let mut b = Batches::shuffled(130, 64, &mut Rng::new(1));
        assert_eq!(b.count(), 3);
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        while let Some(batch) = b.next_batch() {
            sizes.push(batch.len());
            seen.extend_from_slice(batch);
        }
        assert_eq!(sizes, [64, 64, 2]);
        seen.sort_unstable();
        assert_eq!(seen, (0..130).collect::<Vec<_>>());
    }
}
