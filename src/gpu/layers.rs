//! Each layer of `nn` as GPU launches: what its forward and backward passes record, for one
//! batch size, from the buffers the program gives it. The shapes follow the CPU layers'
//! (`x` is N×input, `y` N×output, NCHW), and so do the formulas (wgsl/).

use super::device::{line_groups, Dispatch, Gpu};
use super::kernel::{Args, BATCH_NORM, ELEMENTWISE, GEMM, IM2COL, POOL};
use crate::error::Result;
use crate::nn::pool_window::PoolWindow;
use crate::nn::spec::LayerSpec;
use crate::ops::conv::Conv2dGeometry;
use crate::rng::Rng;

/// One step of a recorded pass: a launch, or a copy between buffers (floats).
pub enum Step {
    Run(Dispatch),
    Copy {
        from: wgpu::Buffer,
        to: wgpu::Buffer,
        len: usize,
    },
}

/// A layer on the GPU. Offsets are in floats, into the parameters' arena (the gradients' arena
/// has the same layout) or the buffers' arena.
pub enum Op {
    Conv {
        /// One group's convolution (its input channels C/G), as on the CPU.
        geometry: Conv2dGeometry,
        groups: usize,
        out_channels: usize,
        weight: usize,
        bias: Option<usize>,
    },
    Linear {
        inputs: usize,
        outputs: usize,
        weight: usize,
        bias: Option<usize>,
    },
    /// An activation: its forward and backward entry points in elementwise.wgsl.
    Elementwise {
        forward: &'static str,
        backward: &'static str,
        slope: f32,
    },
    MaxPool(PoolWindow),
    AvgPool(PoolWindow),
    AdaptiveAvgPool {
        input: (usize, usize, usize),
        side: usize,
    },
    Flatten,
    /// Its masks are drawn on the host, by the same rule as the CPU layer's, and uploaded.
    Dropout {
        p: f32,
        rng: Rng,
    },
    BatchNorm {
        channels: usize,
        eps: f32,
        momentum: f32,
        weight: usize,
        buffers: usize,
    },
}

/// The buffers a layer's passes use.
pub struct Io<'a> {
    pub batch: usize,
    pub x: &'a wgpu::Buffer,
    pub y: &'a wgpu::Buffer,
    pub params: &'a wgpu::Buffer,
    pub grads: &'a wgpu::Buffer,
    pub buffers: &'a wgpu::Buffer,
    /// Shared scratch: im2col's columns, their gradient, and a GEMM's output before it is
    /// laid out as NCHW.
    pub cols: &'a wgpu::Buffer,
    pub dcols: &'a wgpu::Buffer,
    pub tmp: &'a wgpu::Buffer,
    /// A GEMM's partial products when it is split along K.
    pub partial: &'a wgpu::Buffer,
    /// The layer's own: max pooling's argmax, dropout's mask, batch norm's statistics.
    pub own: &'a wgpu::Buffer,
}

/// Which statistics and masks a pass uses: training's, or evaluation's (also for explaining).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Train,
    Eval,
}

impl Op {
    /// The GPU form of `spec` for a per-sample input of `input`; `offset` gives a parameter's
    /// or buffer's place in its arena by its local name (`weight`, `running_mean`).
    pub fn new(
        spec: &LayerSpec,
        input: &[usize],
        seed: u64,
        index: usize,
        offset: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Op> {
        let param = |name: &str| offset(name).expect("the model has its layers' parameters");
        let image = || (input[0], input[1], input[2]);
        Ok(match spec {
            LayerSpec::Conv2d(s) => Op::Conv {
                geometry: s.geometry(input)?,
                groups: s.groups,
                out_channels: s.out_channels,
                weight: param("weight"),
                bias: offset("bias"),
            },
            LayerSpec::Linear(s) => Op::Linear {
                inputs: input.iter().product(),
                outputs: s.out_features,
                weight: param("weight"),
                bias: offset("bias"),
            },
            LayerSpec::Relu(_) => Op::elementwise("relu", "relu_backward", 0.0),
            LayerSpec::LeakyRelu(s) => {
                Op::elementwise("leaky_relu", "leaky_relu_backward", s.negative_slope)
            }
            LayerSpec::Sigmoid(_) => Op::elementwise("sigmoid", "sigmoid_backward", 0.0),
            LayerSpec::Tanh(_) => Op::elementwise("tanh_forward", "tanh_backward", 0.0),
            LayerSpec::Gelu(s) => match s.approximate {
                crate::nn::gelu::Approximate::None => Op::elementwise("gelu", "gelu_backward", 0.0),
                crate::nn::gelu::Approximate::Tanh => {
                    Op::elementwise("gelu_tanh", "gelu_tanh_backward", 0.0)
                }
            },
            LayerSpec::MaxPool2d(s) => Op::MaxPool(s.pool(input)?.window()),
            LayerSpec::AvgPool2d(s) => Op::AvgPool(s.pool(input)?.0),
            LayerSpec::AdaptiveAvgPool2d(s) => Op::AdaptiveAvgPool {
                input: image(),
                side: s.output_size,
            },
            LayerSpec::Flatten(_) => Op::Flatten,
            // The same salt as the CPU layer's generator (nn/dropout.rs), from the run's seed.
            LayerSpec::Dropout(s) => Op::Dropout {
                p: s.p,
                rng: Rng::new(seed ^ (0xD50 + index as u64)),
            },
            LayerSpec::BatchNorm2d(s) => Op::BatchNorm {
                channels: input[0],
                eps: s.eps,
                momentum: s.momentum,
                weight: param("weight"),
                buffers: offset("running_mean").expect("batch norm has running statistics"),
            },
        })
    }

    fn elementwise(forward: &'static str, backward: &'static str, slope: f32) -> Op {
        Op::Elementwise {
            forward,
            backward,
            slope,
        }
    }

    /// The values of the layer's own buffer for a batch (none: 0).
    pub fn own_len(&self, batch: usize, output_len: usize) -> usize {
        match self {
            Op::MaxPool(_) => batch * output_len,
            Op::Dropout { .. } => batch * output_len,
            Op::BatchNorm { channels, .. } => 2 * channels,
            _ => 0,
        }
    }

    /// The scratch a batch needs, in floats: im2col's columns, a GEMM's output, and the
    /// partial products of a GEMM split along K.
    pub fn scratch(&self, batch: usize) -> [usize; 3] {
        let gemms = match self {
            Op::Conv {
                geometry: g,
                groups,
                out_channels,
                ..
            } => {
                let (np, kg, cog) = (
                    batch * g.out_h * g.out_w,
                    g.patch_len(),
                    out_channels / groups,
                );
                [[cog, np, kg], [cog, kg, np], [kg, np, cog]]
            }
            Op::Linear {
                inputs, outputs, ..
            } => [
                [batch, *outputs, *inputs],
                [*outputs, *inputs, batch],
                [batch, *inputs, *outputs],
            ],
            _ => return [0; 3],
        };
        let partial = gemms
            .iter()
            .map(|&[m, n, k]| match k_slices([m, n, k]) {
                1 => 0,
                s => s * m * n,
            })
            .max()
            .unwrap_or(0);
        match self {
            Op::Conv {
                geometry: g,
                groups,
                out_channels,
                ..
            } => {
                let np = batch * g.out_h * g.out_w;
                [groups * g.patch_len() * np, out_channels * np, partial]
            }
            _ => [0, 0, partial],
        }
    }

    /// A new dropout mask for the next training step, when this layer draws one: 0 or 1/(1−p)
    /// per value, as the CPU layer draws them.
    pub fn draw_mask(&mut self, len: usize) -> Option<Vec<f32>> {
        let Op::Dropout { p, rng } = self else {
            return None;
        };
        if *p == 0.0 {
            return None;
        }
        let keep = 1.0 / (1.0 - *p);
        Some(
            (0..len)
                .map(|_| if rng.next_f32() < *p { 0.0 } else { keep })
                .collect(),
        )
    }

    /// Whether the layer's output is its input, unchanged (no buffer of its own).
    pub fn is_view(&self) -> bool {
        matches!(self, Op::Flatten)
    }

    /// Records y = layer(x) for a batch of `io.batch`, with `input_len` and `output_len` values
    /// per sample.
    pub fn forward(
        &self,
        gpu: &Gpu,
        io: &Io,
        pass: Pass,
        input_len: usize,
        output_len: usize,
    ) -> Vec<Step> {
        let n = io.batch;
        let run = |d| Step::Run(d);
        match self {
            Op::Conv {
                geometry: g,
                groups,
                out_channels,
                weight,
                bias,
            } => {
                let (np, kg, cog) = (n * g.out_h * g.out_w, g.patch_len(), out_channels / groups);
                let mut steps = vec![run(im2col(gpu, io, g, *groups, "im2col", io.x, io.cols))];
                for grp in 0..*groups {
                    // tmp[g·Cog.., NP] = W_g (Cog×Kg) · cols[g·Kg.., NP]
                    steps.extend(gemm(
                        gpu,
                        io,
                        [cog, np, kg],
                        (io.params, weight + grp * cog * kg, kg, 1),
                        (io.cols, grp * kg * np, np, 1),
                        (io.tmp, grp * cog * np, np),
                    ));
                }
                let plane = g.out_h * g.out_w;
                steps.push(run(layout(
                    gpu,
                    "to_ncp",
                    io.tmp,
                    io.y,
                    n,
                    *out_channels,
                    plane,
                    n * output_len,
                    0,
                )));
                if let Some(b) = bias {
                    steps.push(run(layout(
                        gpu,
                        "add_bias",
                        io.params,
                        io.y,
                        n,
                        *out_channels,
                        plane,
                        n * output_len,
                        *b,
                    )));
                }
                steps
            }
            Op::Linear {
                inputs,
                outputs,
                weight,
                bias,
            } => {
                // y (N×out) = x (N×in) · Wᵀ
                let mut steps = gemm(
                    gpu,
                    io,
                    [n, *outputs, *inputs],
                    (io.x, 0, *inputs, 1),
                    (io.params, *weight, 1, *inputs),
                    (io.y, 0, *outputs),
                );
                if let Some(b) = bias {
                    steps.push(run(layout(
                        gpu,
                        "add_bias",
                        io.params,
                        io.y,
                        n,
                        *outputs,
                        1,
                        n * outputs,
                        *b,
                    )));
                }
                steps
            }
            Op::Elementwise { forward, slope, .. } => vec![run(gpu.dispatch(
                ELEMENTWISE.entry(forward),
                Args::new().u(n * output_len).f(*slope),
                &[Some(io.x), None, None, Some(io.y)],
                line_groups(n * output_len),
            ))],
            Op::MaxPool(w) => vec![run(pool(
                gpu,
                "max_pool",
                pool_args(w, n, n * output_len),
                &[Some(io.x), None, Some(io.y), Some(io.own)],
                n * output_len,
            ))],
            Op::AvgPool(w) => vec![run(pool(
                gpu,
                "avg_pool",
                pool_args(w, n, n * output_len),
                &[Some(io.x), None, Some(io.y), None],
                n * output_len,
            ))],
            Op::AdaptiveAvgPool { input, side } => vec![run(pool(
                gpu,
                "avg_pool",
                adaptive_args(*input, *side, n, n * output_len),
                &[Some(io.x), None, Some(io.y), None],
                n * output_len,
            ))],
            Op::Flatten => Vec::new(),
            Op::Dropout { p, .. } => {
                if pass == Pass::Eval || *p == 0.0 {
                    vec![copy(io.x, io.y, n * input_len)]
                } else {
                    vec![run(multiply(gpu, io.x, io.own, io.y, n * output_len))]
                }
            }
            Op::BatchNorm { channels, .. } => {
                let args = self.norm_args(n, output_len, pass);
                let stats = match pass {
                    Pass::Train => gpu.dispatch(
                        BATCH_NORM.entry("batch_stats"),
                        args,
                        &[Some(io.x), None, None, None, Some(io.own), Some(io.buffers)],
                        (*channels as u32, 1, 1),
                    ),
                    Pass::Eval => gpu.dispatch(
                        BATCH_NORM.entry("running_stats"),
                        args,
                        &[None, None, None, Some(io.buffers), Some(io.own), None],
                        line_groups(*channels),
                    ),
                };
                vec![
                    run(stats),
                    run(gpu.dispatch(
                        BATCH_NORM.entry("normalize"),
                        args,
                        &[
                            Some(io.x),
                            None,
                            Some(io.params),
                            Some(io.own),
                            Some(io.y),
                            None,
                        ],
                        line_groups(n * output_len),
                    )),
                ]
            }
        }
    }

    /// Records the backward pass: dL/dθ into the gradients' arena (overwritten), and dL/dx into
    /// `dx` when given, from dL/dy in `dy`.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        gpu: &Gpu,
        io: &Io,
        pass: Pass,
        dy: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
        input_len: usize,
        output_len: usize,
    ) -> Vec<Step> {
        let n = io.batch;
        let run = |d| Step::Run(d);
        let (in_total, out_total) = (n * input_len, n * output_len);
        match self {
            Op::Conv {
                geometry: g,
                groups,
                out_channels,
                weight,
                bias,
            } => {
                let (np, kg, cog) = (n * g.out_h * g.out_w, g.patch_len(), out_channels / groups);
                let plane = g.out_h * g.out_w;
                let mut steps = vec![
                    // dy in the GEMM's (C, N·P) layout, and the columns again.
                    run(layout(
                        gpu,
                        "to_cp",
                        dy,
                        io.tmp,
                        n,
                        *out_channels,
                        plane,
                        out_total,
                        0,
                    )),
                    run(im2col(gpu, io, g, *groups, "im2col", io.x, io.cols)),
                ];
                for grp in 0..*groups {
                    // dW_g (Cog×Kg) = dy_g (Cog×NP) · cols_gᵀ
                    steps.extend(gemm(
                        gpu,
                        io,
                        [cog, kg, np],
                        (io.tmp, grp * cog * np, np, 1),
                        (io.cols, grp * kg * np, 1, np),
                        (io.grads, weight + grp * cog * kg, kg),
                    ));
                }
                if let Some(b) = bias {
                    steps.push(run(channel_sum(
                        gpu,
                        dy,
                        io.grads,
                        n,
                        *out_channels,
                        plane,
                        *b,
                    )));
                }
                if let Some(dx) = dx {
                    for grp in 0..*groups {
                        // dcols_g (Kg×NP) = W_gᵀ · dy_g
                        steps.extend(gemm(
                            gpu,
                            io,
                            [kg, np, cog],
                            (io.params, weight + grp * cog * kg, 1, kg),
                            (io.tmp, grp * cog * np, np, 1),
                            (io.dcols, grp * kg * np, np),
                        ));
                    }
                    steps.push(run(im2col(gpu, io, g, *groups, "col2im", io.dcols, dx)));
                }
                steps
            }
            Op::Linear {
                inputs,
                outputs,
                weight,
                bias,
            } => {
                // dW (out×in) = dyᵀ · x
                let mut steps = gemm(
                    gpu,
                    io,
                    [*outputs, *inputs, n],
                    (dy, 0, 1, *outputs),
                    (io.x, 0, *inputs, 1),
                    (io.grads, *weight, *inputs),
                );
                if let Some(b) = bias {
                    steps.push(run(channel_sum(gpu, dy, io.grads, n, *outputs, 1, *b)));
                }
                if let Some(dx) = dx {
                    // dx (N×in) = dy · W
                    steps.extend(gemm(
                        gpu,
                        io,
                        [n, *inputs, *outputs],
                        (dy, 0, *outputs, 1),
                        (io.params, *weight, *inputs, 1),
                        (dx, 0, *inputs),
                    ));
                }
                steps
            }
            Op::Elementwise {
                backward, slope, ..
            } => match dx {
                Some(dx) => vec![run(gpu.dispatch(
                    ELEMENTWISE.entry(backward),
                    Args::new().u(out_total).f(*slope),
                    &[Some(io.x), Some(io.y), Some(dy), Some(dx)],
                    line_groups(out_total),
                ))],
                None => Vec::new(),
            },
            Op::MaxPool(w) => match dx {
                Some(dx) => vec![run(pool(
                    gpu,
                    "max_pool_backward",
                    pool_args(w, n, in_total),
                    &[Some(dy), Some(io.own), Some(dx), None],
                    in_total,
                ))],
                None => Vec::new(),
            },
            Op::AvgPool(w) => match dx {
                Some(dx) => vec![run(pool(
                    gpu,
                    "avg_pool_backward",
                    pool_args(w, n, in_total),
                    &[Some(dy), None, Some(dx), None],
                    in_total,
                ))],
                None => Vec::new(),
            },
            Op::AdaptiveAvgPool { input, side } => match dx {
                Some(dx) => vec![run(pool(
                    gpu,
                    "avg_pool_backward",
                    adaptive_args(*input, *side, n, in_total),
                    &[Some(dy), None, Some(dx), None],
                    in_total,
                ))],
                None => Vec::new(),
            },
            Op::Flatten => Vec::new(),
            Op::Dropout { p, .. } => match dx {
                Some(dx) if pass == Pass::Eval || *p == 0.0 => vec![copy(dy, dx, in_total)],
                Some(dx) => vec![run(multiply(gpu, dy, io.own, dx, out_total))],
                None => Vec::new(),
            },
            Op::BatchNorm { channels, .. } => {
                let args = self.norm_args(n, output_len, pass);
                let mut steps = vec![run(gpu.dispatch(
                    BATCH_NORM.entry("param_grads"),
                    args,
                    &[
                        Some(io.x),
                        Some(dy),
                        None,
                        Some(io.own),
                        Some(io.grads),
                        None,
                    ],
                    (*channels as u32, 1, 1),
                ))];
                if let Some(dx) = dx {
                    steps.push(run(gpu.dispatch(
                        BATCH_NORM.entry("backward"),
                        args,
                        &[
                            Some(io.x),
                            Some(dy),
                            Some(io.params),
                            Some(io.own),
                            Some(dx),
                            Some(io.grads),
                        ],
                        line_groups(out_total),
                    )));
                }
                steps
            }
        }
    }

    fn norm_args(&self, batch: usize, output_len: usize, pass: Pass) -> Args {
        let Op::BatchNorm {
            channels,
            eps,
            momentum,
            weight,
            buffers,
        } = self
        else {
            unreachable!("batch norm's arguments")
        };
        Args::new()
            .u(*channels)
            .u(output_len / channels)
            .u(batch)
            .u(batch * output_len)
            .u(*weight)
            .u(*weight)
            .u(*buffers)
            .u((pass == Pass::Train) as usize)
            .f(*eps)
            .f(*momentum)
    }
}

/// How many slices of K a GEMM of sizes [M, N, K] is split into: enough workgroups to keep a
/// GPU busy when C has few tiles (a weight gradient: small C, K the whole batch), each slice
/// still long enough to be worth a workgroup.
pub fn k_slices([m, n, k]: [usize; 3]) -> usize {
    let tiles = m.div_ceil(64) * n.div_ceil(64);
    (k / 256).min(64 / tiles).max(1)
}

/// A GEMM C = A·B of sizes [M, N, K]; A and B as (buffer, offset, row stride, column stride),
/// C as (buffer, offset, row stride). Split along K ([`k_slices`]) through `partial`.
fn gemm(
    gpu: &Gpu,
    io: &Io,
    [m, n, k]: [usize; 3],
    a: (&wgpu::Buffer, usize, usize, usize),
    b: (&wgpu::Buffer, usize, usize, usize),
    c: (&wgpu::Buffer, usize, usize),
) -> Vec<Step> {
    let slices = k_slices([m, n, k]);
    let chunk = k.div_ceil(slices).next_multiple_of(16);
    let args = |c_off: usize, c_rs: usize, c_slice: usize| {
        Args::new()
            .u(m)
            .u(n)
            .u(k)
            .u(0)
            .u(a.1)
            .u(a.2)
            .u(a.3)
            .u(b.1)
            .u(b.2)
            .u(b.3)
            .u(c_off)
            .u(c_rs)
            .u(chunk)
            .u(c_slice)
    };
    let kernel = gpu.gemm_kernel();
    let groups = |z: usize| match kernel {
        "gemm_direct" => {
            let (x, y, _) = line_groups(m.div_ceil(4) * n.div_ceil(4));
            (x, y, z as u32)
        }
        _ => (n.div_ceil(64) as u32, m.div_ceil(64) as u32, z as u32),
    };
    if slices == 1 {
        return vec![Step::Run(gpu.dispatch(
            GEMM.entry(kernel),
            args(c.1, c.2, 0),
            &[Some(a.0), Some(b.0), Some(c.0)],
            groups(1),
        ))];
    }
    let sum = Args::new()
        .u(m)
        .u(n)
        .u(slices)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(c.1)
        .u(c.2);
    vec![
        Step::Run(gpu.dispatch(
            GEMM.entry(kernel),
            args(0, n, m * n),
            &[Some(a.0), Some(b.0), Some(io.partial)],
            groups(slices),
        )),
        Step::Run(gpu.dispatch(
            GEMM.entry("sum_slices"),
            sum,
            &[Some(io.partial), None, Some(c.0)],
            line_groups(m * n),
        )),
    ]
}

/// im2col (x → columns, one per column value) or col2im (columns → dx, one per input value)
/// over all `groups`' channels.
fn im2col(
    gpu: &Gpu,
    io: &Io,
    g: &Conv2dGeometry,
    groups: usize,
    entry: &'static str,
    from: &wgpu::Buffer,
    to: &wgpu::Buffer,
) -> Dispatch {
    let n = io.batch;
    let channels = groups * g.in_channels;
    let len = if entry == "im2col" {
        channels * g.kernel_h * g.kernel_w * n * g.out_h * g.out_w
    } else {
        n * channels * g.height * g.width
    };
    let args = Args::new()
        .u(channels)
        .u(g.height)
        .u(g.width)
        .u(g.kernel_h)
        .u(g.kernel_w)
        .u(g.stride)
        .u(g.padding)
        .u(g.dilation)
        .u(g.out_h)
        .u(g.out_w)
        .u(n)
        .u(len);
    gpu.dispatch(
        IM2COL.entry(entry),
        args,
        &[Some(from), Some(to)],
        line_groups(len),
    )
}

/// The (C, N·P) ↔ (N, C, P) moves and the bias, whose place in the arena is `offset`.
#[allow(clippy::too_many_arguments)]
fn layout(
    gpu: &Gpu,
    entry: &'static str,
    from: &wgpu::Buffer,
    to: &wgpu::Buffer,
    batch: usize,
    planes: usize,
    plane: usize,
    len: usize,
    offset: usize,
) -> Dispatch {
    layout_over(
        gpu,
        entry,
        from,
        to,
        [batch, planes, plane, len, offset],
        line_groups(len),
    )
}

/// [`layout`] over `groups` workgroups.
fn layout_over(
    gpu: &Gpu,
    entry: &'static str,
    from: &wgpu::Buffer,
    to: &wgpu::Buffer,
    [batch, planes, plane, len, offset]: [usize; 5],
    groups: (u32, u32, u32),
) -> Dispatch {
    let args = Args::new()
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(0)
        .u(batch)
        .u(len)
        .u(planes)
        .u(plane)
        .u(0)
        .u(offset);
    gpu.dispatch(IM2COL.entry(entry), args, &[Some(from), Some(to)], groups)
}

/// db[c] = Σ dy over the batch and plane, into the gradients' arena at `offset`.
fn channel_sum(
    gpu: &Gpu,
    dy: &wgpu::Buffer,
    grads: &wgpu::Buffer,
    batch: usize,
    planes: usize,
    plane: usize,
    offset: usize,
) -> Dispatch {
    layout_over(
        gpu,
        "channel_sum",
        dy,
        grads,
        [batch, planes, plane, 0, offset],
        (planes as u32, 1, 1),
    )
}

fn pool_args(w: &PoolWindow, batch: usize, len: usize) -> Args {
    let (c, h, wd) = w.input;
    Args::new()
        .u(batch * c)
        .u(h)
        .u(wd)
        .u(w.output.0)
        .u(w.output.1)
        .u(w.kernel)
        .u(w.stride)
        .u(w.padding)
        .u(0)
        .u(len)
}

fn adaptive_args((c, h, w): (usize, usize, usize), side: usize, batch: usize, len: usize) -> Args {
    Args::new()
        .u(batch * c)
        .u(h)
        .u(w)
        .u(side)
        .u(side)
        .u(0)
        .u(1)
        .u(0)
        .u(1)
        .u(len)
}

fn pool(
    gpu: &Gpu,
    entry: &'static str,
    args: Args,
    buffers: &[Option<&wgpu::Buffer>],
    len: usize,
) -> Dispatch {
    gpu.dispatch(POOL.entry(entry), args, buffers, line_groups(len))
}

fn multiply(
    gpu: &Gpu,
    a: &wgpu::Buffer,
    b: &wgpu::Buffer,
    out: &wgpu::Buffer,
    len: usize,
) -> Dispatch {
    gpu.dispatch(
        ELEMENTWISE.entry("multiply"),
        Args::new().u(len),
        &[Some(a), Some(b), None, Some(out)],
        line_groups(len),
    )
}

fn copy(from: &wgpu::Buffer, to: &wgpu::Buffer, len: usize) -> Step {
    Step::Copy {
        from: from.clone(),
        to: to.clone(),
        len,
    }
}
