//! The launches layers share, as `ops` is to `nn`: GEMM (split along K when few tiles), im2col
//! and col2im, the (C, N·P) ↔ (N, C, P) moves, the bias and its gradient, pooling windows, an
//! elementwise product, a copy.

use super::device::{line_groups, Dispatch, Gpu};
use super::kernel::{elementwise, gemm, im2col, pool, u};
use super::layers::{Io, Step};
use crate::nn::pool_window::PoolWindow;
use crate::ops::conv::Conv2dGeometry;

/// How many slices of K a GEMM of sizes [M, N, K] is split into: enough workgroups to keep a
/// GPU busy when C has few tiles (a weight gradient: small C, K the whole batch), each slice
/// still long enough to be worth a workgroup.
pub fn k_slices([m, n, k]: [usize; 3]) -> usize {
    let tiles = m.div_ceil(64) * n.div_ceil(64);
    (k / 256).min(64 / tiles).max(1)
}

/// The floats of partial products a GEMM of sizes [M, N, K] needs (0 when it is not split).
pub fn partial_len([m, n, k]: [usize; 3]) -> usize {
    match k_slices([m, n, k]) {
        1 => 0,
        s => s * m * n,
    }
}

/// A matrix in a buffer: where it starts (floats), and the steps between its rows and
/// between its columns.
#[derive(Clone, Copy)]
pub struct Matrix<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub offset: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> Matrix<'a> {
    /// Row-major, `cols` wide, at `offset`.
    pub fn rows(buffer: &'a wgpu::Buffer, offset: usize, cols: usize) -> Self {
        Matrix {
            buffer,
            offset,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major matrix `cols` wide.
    pub fn transposed(buffer: &'a wgpu::Buffer, offset: usize, cols: usize) -> Self {
        Matrix {
            buffer,
            offset,
            row_stride: 1,
            col_stride: cols,
        }
    }
}

/// C = A·B of sizes [M, N, K], C row-major. Split along K ([`k_slices`]) through `io.partial`.
pub fn gemm(
    gpu: &Gpu,
    io: &Io,
    [m, n, k]: [usize; 3],
    a: Matrix,
    b: Matrix,
    c: Matrix,
) -> Vec<Step> {
    let slices = k_slices([m, n, k]);
    let chunk = k.div_ceil(slices).next_multiple_of(16);
    let args = |c_off: usize, c_rs: usize, c_slice: usize| gemm::Args {
        m: u(m),
        n: u(n),
        k: u(k),
        accumulate: 0,
        a_off: u(a.offset),
        a_rs: u(a.row_stride),
        a_cs: u(a.col_stride),
        b_off: u(b.offset),
        b_rs: u(b.row_stride),
        b_cs: u(b.col_stride),
        c_off: u(c_off),
        c_rs: u(c_rs),
        k_chunk: u(chunk),
        c_slice: u(c_slice),
    };
    let kernel = gpu.gemm_kernel();
    let groups = |z: usize| match kernel {
        "gemm_direct" => {
            let (x, y, _) = line_groups(m.div_ceil(4) * n.div_ceil(4));
            (x, y, z as u32)
        }
        _ => (n.div_ceil(64) as u32, m.div_ceil(64) as u32, z as u32),
    };
    let buffers = |c| gemm::Buffers {
        a: Some(a.buffer),
        b: Some(b.buffer),
        c: Some(c),
    };
    if slices == 1 {
        return vec![Step::Run(gpu.dispatch(
            gemm::entry(kernel),
            &args(c.offset, c.row_stride, 0),
            buffers(c.buffer),
            groups(1),
        ))];
    }
    let sum = gemm::Args {
        m: u(m),
        n: u(n),
        k: u(slices),
        c_off: u(c.offset),
        c_rs: u(c.row_stride),
        ..Default::default()
    };
    vec![
        Step::Run(gpu.dispatch(
            gemm::entry(kernel),
            &args(0, n, m * n),
            buffers(io.partial),
            groups(slices),
        )),
        Step::Run(gpu.dispatch(
            gemm::entry("sum_slices"),
            &sum,
            gemm::Buffers {
                a: Some(io.partial),
                c: Some(c.buffer),
                ..Default::default()
            },
            line_groups(m * n),
        )),
    ]
}

/// Which way [`im2col`] goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    /// x → columns, one invocation per column value.
    Gather,
    /// columns → dx, one invocation per input value (col2im).
    Scatter,
}

/// im2col or col2im over all `groups`' channels.
pub fn im2col(
    gpu: &Gpu,
    batch: usize,
    g: &Conv2dGeometry,
    groups: usize,
    way: Columns,
    from: &wgpu::Buffer,
    to: &wgpu::Buffer,
) -> Dispatch {
    let channels = groups * g.in_channels;
    let (entry, len) = match way {
        Columns::Gather => (
            "im2col",
            channels * g.kernel_h * g.kernel_w * batch * g.out_h * g.out_w,
        ),
        Columns::Scatter => ("col2im", batch * channels * g.height * g.width),
    };
    let args = im2col::Args {
        channels: u(channels),
        height: u(g.height),
        width: u(g.width),
        kernel_h: u(g.kernel_h),
        kernel_w: u(g.kernel_w),
        stride: u(g.stride),
        padding: u(g.padding),
        dilation: u(g.dilation),
        out_h: u(g.out_h),
        out_w: u(g.out_w),
        batch: u(batch),
        len: u(len),
        ..Default::default()
    };
    gpu.dispatch(
        im2col::entry(entry),
        &args,
        im2col::Buffers {
            src: Some(from),
            dst: Some(to),
        },
        line_groups(len),
    )
}

/// `batch` samples of `planes` planes of `plane` values each: what the layout moves and the
/// bias kernels see.
#[derive(Clone, Copy)]
pub struct Planes {
    pub batch: usize,
    pub planes: usize,
    pub plane: usize,
}

impl Planes {
    fn len(&self) -> usize {
        self.batch * self.planes * self.plane
    }

    fn args(&self, len: usize, offset: usize) -> im2col::Args {
        im2col::Args {
            batch: u(self.batch),
            len: u(len),
            planes: u(self.planes),
            plane: u(self.plane),
            offset: u(offset),
            ..Default::default()
        }
    }
}

/// A move between the (C, N·P) and (N, C, P) layouts (`to_ncp`, `to_cp`), or `add_bias`, the
/// bias at `offset` of `from` added to every plane of `to`.
pub fn layout(
    gpu: &Gpu,
    entry: &'static str,
    from: &wgpu::Buffer,
    to: &wgpu::Buffer,
    shape: Planes,
    offset: usize,
) -> Dispatch {
    gpu.dispatch(
        im2col::entry(entry),
        &shape.args(shape.len(), offset),
        im2col::Buffers {
            src: Some(from),
            dst: Some(to),
        },
        line_groups(shape.len()),
    )
}

/// db[c] = Σ dy over the batch and plane, into the gradients' arena at `offset`.
pub fn channel_sum(
    gpu: &Gpu,
    dy: &wgpu::Buffer,
    grads: &wgpu::Buffer,
    shape: Planes,
    offset: usize,
) -> Dispatch {
    gpu.dispatch(
        im2col::entry("channel_sum"),
        &shape.args(0, offset),
        im2col::Buffers {
            src: Some(dy),
            dst: Some(grads),
        },
        (shape.planes as u32, 1, 1),
    )
}

/// A pooling kernel's arguments for `batch` samples through window `w`, over `len` values.
pub fn pool_args(w: &PoolWindow, batch: usize, len: usize) -> pool::Args {
    let (c, h, wd) = w.input;
    pool::Args {
        planes: u(batch * c),
        height: u(h),
        width: u(wd),
        out_h: u(w.output.0),
        out_w: u(w.output.1),
        kernel: u(w.kernel),
        stride: u(w.stride),
        padding: u(w.padding),
        adaptive: 0,
        len: u(len),
    }
}

/// One launch of a pooling kernel, an invocation per value of `len`.
pub fn pool(gpu: &Gpu, entry: &'static str, args: pool::Args, buffers: pool::Buffers) -> Dispatch {
    let len = args.len as usize;
    gpu.dispatch(pool::entry(entry), &args, buffers, line_groups(len))
}

/// out = a ⊙ b over `len` values.
pub fn multiply(
    gpu: &Gpu,
    a: &wgpu::Buffer,
    b: &wgpu::Buffer,
    out: &wgpu::Buffer,
    len: usize,
) -> Dispatch {
    gpu.dispatch(
        elementwise::entry("multiply"),
        &elementwise::Args {
            len: u(len),
            slope: 0.0,
        },
        elementwise::Buffers {
            x: Some(a),
            y: Some(b),
            out: Some(out),
            ..Default::default()
        },
        line_groups(len),
    )
}

pub fn copy(from: &wgpu::Buffer, to: &wgpu::Buffer, len: usize) -> Step {
    Step::Copy {
        from: from.clone(),
        to: to.clone(),
        len,
    }
}
