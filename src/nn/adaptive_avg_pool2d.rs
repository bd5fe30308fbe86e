//! `AdaptiveAvgPool2d`: the mean over windows chosen to give an output of the size asked for,
//! as PyTorch chooses them (output i covers inputs ⌊i·H/OH⌋ to ⌈(i+1)·H/OH⌉); `output_size` 1
//! is global average pooling.

use super::layer::{Layer, Mode};
use super::plan::image;
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::Result;
use crate::export::onnx::{Graph, Nodes, INT64};
use crate::field::layer_spec;

layer_spec! {
    /// `nn.AdaptiveAvgPool2d(output_size)`.
    pub struct AdaptiveAvgPool2dSpec {
        OUTPUT_SIZE => output_size: usize = count(1, None, 1)
            .help("side of each output map (1: the mean of the whole map)");
    }
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
        fields: FIELDS,
        signed: false,
        kernels: false,
        sized_by_input: false,
        help: "averages each map down to the size asked for",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let pool = self.pool(input)?;
        Ok(Planned::shape(vec![pool.input.0, pool.side, pool.side]))
    }

    fn build(&self, input: &[usize], _init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(self.pool(input)?))
    }

    fn onnx(&self, n: &mut Nodes) {
        adaptive_nodes(n.graph, n.name, n.input, self.output_size);
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

/// Adaptive average pooling as a matrix product: each output cell averages its window of the
/// H·W inputs (PyTorch's windows: from ⌊i·H/o⌋ to ⌈(i+1)·H/o⌉).
fn adaptive_nodes(g: &mut Graph, name: &str, input: &[usize], out: usize) {
    let (c, h, w) = (input[0], input[1], input[2]);
    let window = |i: usize, n: usize| (i * n / out, ((i + 1) * n).div_ceil(out));
    let mut matrix = vec![0.0f32; h * w * out * out];
    for oy in 0..out {
        for ox in 0..out {
            let ((y0, y1), (x0, x1)) = (window(oy, h), window(ox, w));
            let area = ((y1 - y0) * (x1 - x0)) as f32;
            for y in y0..y1 {
                for x in x0..x1 {
                    matrix[(y * w + x) * out * out + oy * out + ox] = 1.0 / area;
                }
            }
        }
    }
    let shape = |g: &mut Graph, tag: &str, dims: &[i64]| {
        let raw = dims.iter().flat_map(|d| d.to_le_bytes()).collect();
        g.tensor(&format!("{name}.{tag}"), &[dims.len()], INT64, raw)
    };
    let rows = shape(g, "rows", &[0, c as i64, (h * w) as i64]);
    let grid = shape(g, "grid", &[0, c as i64, out as i64, out as i64]);
    let m = g.floats(&format!("{name}.windows"), &[h * w, out * out], matrix);
    let flat = g.fresh(name);
    let x = g.value.clone();
    g.node("Reshape", &[&x, &rows], &flat, &[]);
    let pooled = g.fresh(name);
    g.node("MatMul", &[&flat, &m], &pooled, &[]);
    g.value = g.node("Reshape", &[&pooled, &grid], name, &[]);
}
