//! Data: the IDX file format, image-classification datasets (MNIST) and shuffled batches.

pub mod augment;
pub mod batches;
pub mod dataset;
pub mod idx;

pub use batches::Epoch;
pub use dataset::{Dataset, Mnist, MNIST_FILES};
