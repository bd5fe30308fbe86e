//! `AdaptiveAvgPool2d` on the GPU: average pooling over PyTorch's adaptive windows (from
//! ⌊o·size/out⌋ to ⌈(o+1)·size/out⌉), the same kernels as `AvgPool2d`.

use super::avg_pool2d::AvgPool2d;
use super::Place;
use crate::gpu::kernel::{pool::Args, u};
use crate::nn::adaptive_avg_pool2d::AdaptiveAvgPool2dSpec;

pub fn new(spec: &AdaptiveAvgPool2dSpec, at: &Place) -> AvgPool2d {
    let (side, input) = (spec.output_size, at.input);
    AvgPool2d {
        sample: Args {
            planes: u(input[0]),
            height: u(input[1]),
            width: u(input[2]),
            out_h: u(side),
            out_w: u(side),
            stride: 1,
            adaptive: 1,
            ..Default::default()
        },
    }
}
