//! Layers (one file each, with its spec), the model built from a spec, and the loss.
//!
//! ```
//! use cnn_playground::nn::{Model, ModelSpec, Mode};
//! let mut model = Model::new(&ModelSpec::tutorial(), 0).unwrap();
//! let x = ndarray::ArrayD::zeros(vec![2, 1, 28, 28]);
//! let logits = model.forward(&x, Mode::Eval).unwrap();
//! assert_eq!(logits.shape(), &[2, 10]);
//! assert_eq!(model.num_params(), 206_922);
//! ```

pub mod activation;
pub mod adaptive_avg_pool2d;
pub mod avg_pool2d;
pub mod batch_norm2d;
pub mod conv2d;
pub mod dropout;
pub mod flatten;
pub mod gelu;
pub mod layer;
pub mod leaky_relu;
pub mod linear;
pub mod loss;
pub mod max_pool2d;
pub mod model;
pub mod plan;
pub mod pool_window;
pub mod relu;
pub mod sigmoid;
pub mod spec;
pub mod tanh;

pub use adaptive_avg_pool2d::AdaptiveAvgPool2dSpec;
pub use avg_pool2d::AvgPool2dSpec;
pub use batch_norm2d::BatchNorm2dSpec;
pub use conv2d::Conv2dSpec;
pub use dropout::DropoutSpec;
pub use flatten::FlattenSpec;
pub use layer::{Buffer, Layer, Mode, Param};
pub use linear::LinearSpec;
pub use max_pool2d::MaxPool2dSpec;
pub use model::Model;
pub use plan::LayerPlan;
pub use relu::ReluSpec;
pub use sigmoid::SigmoidSpec;
pub use spec::{LayerConfig, LayerSpec, ModelSpec};
pub use tanh::TanhSpec;
