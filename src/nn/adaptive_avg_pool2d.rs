//! `AdaptiveAvgPool2d`: the mean over windows chosen to give an output of the size asked for,
//! as PyTorch chooses them (output i covers inputs ⌊i·H/OH⌋ to ⌈(i+1)·H/OH⌉); `output_size` 1
//! is global average pooling.

use super::layer::{Layer, Mode};
use super::plan::image;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::field::Field;
use serde::{Deserialize, Serialize};

const OUTPUT_SIZE: Field = Field::count("output_size", 1, None, 1)
    .help("side of each output map (1: the mean of the whole map)");

/// `nn.AdaptiveAvgPool2d(output_size)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdaptiveAvgPool2dSpec {
    pub output_size: usize,
}

impl AdaptiveAvgPool2dSpec {
    fn pool(&self, input: &[usize]) -> Result<AdaptiveAvgPool2d> {
        let (c, h, w) = image(input)?;
        let side = OUTPUT_SIZE.check_count(self.output_size)?;
        Ok(AdaptiveAvgPool2d {
            input: (c, h, w),
            side,
        })
    }
}

impl LayerConfig for AdaptiveAvgPool2dSpec {
    const ABOUT: About = About {
        label: "AdaptiveAvgPool2d",
        kind: "adaptivepool",
        fields: &[OUTPUT_SIZE],
        signed: false,
        kernels: false,
        help: "averages each map down to the size asked for",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let pool = self.pool(input)?;
        Ok(Planned::shape(vec![pool.input.0, pool.side, pool.side]))
    }

    fn build(&self, input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(self.pool(input)?))
    }

    #[cfg(feature = "gpu")]
    fn gpu(&self, at: &crate::gpu::layers::Place) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::adaptive_avg_pool2d::new(
            self, at,
        )))
    }
}

pub struct AdaptiveAvgPool2d {
    /// Per-sample input (C,H,W), and the output's side.
    input: (usize, usize, usize),
    side: usize,
}

impl AdaptiveAvgPool2d {
    /// The inputs of output `o` along a side of `size`: ⌊o·size/side⌋ to ⌈(o+1)·size/side⌉.
    fn window(&self, o: usize, size: usize) -> std::ops::Range<usize> {
        (o * size / self.side)..((o + 1) * size).div_ceil(self.side)
    }
}

impl Layer for AdaptiveAvgPool2d {
    // x (N,C,H,W) → y (N,C,S,S)
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        let (c, h, w) = self.input;
        let s = self.side;
        for p in 0..batch * c {
            let plane = &x[p * h * w..(p + 1) * h * w];
            for oy in 0..s {
                let rows = self.window(oy, h);
                for ox in 0..s {
                    let cols = self.window(ox, w);
                    let count = (rows.len() * cols.len()) as f32;
                    let mut sum = 0.0;
                    for iy in rows.clone() {
                        for ix in cols.clone() {
                            sum += plane[iy * w + ix];
                        }
                    }
                    y[(p * s + oy) * s + ox] = sum / count;
                }
            }
        }
    }

    // dx[window] += dy / |window|
    fn backward(
        &mut self,
        batch: usize,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let Some(dx) = dx else { return };
        let (c, h, w) = self.input;
        let s = self.side;
        dx.fill(0.0);
        for p in 0..batch * c {
            let plane = &mut dx[p * h * w..(p + 1) * h * w];
            for oy in 0..s {
                let rows = self.window(oy, h);
                for ox in 0..s {
                    let cols = self.window(ox, w);
                    let g = dy[(p * s + oy) * s + ox] / (rows.len() * cols.len()) as f32;
                    for iy in rows.clone() {
                        for ix in cols.clone() {
                            plane[iy * w + ix] += g;
                        }
                    }
                }
            }
        }
    }
}
