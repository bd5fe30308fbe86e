//! Data: image-classification datasets (their shape, classes and splits), the formats they come
//! in (IDX, CIFAR's binary tar.gz, folders of class folders), augmentation and shuffled batches.

pub mod augment;
pub mod batches;
pub mod builtin;
pub mod cifar;
pub mod dataset;
pub mod drawn;
pub mod folder;
pub mod idx;
pub mod local;
pub mod stored;
pub mod tar;

pub use batches::Epoch;
pub use builtin::{Builtin, BUILTIN};
pub use dataset::{About, Dataset, Examples, ImageShape, TestSplit};
