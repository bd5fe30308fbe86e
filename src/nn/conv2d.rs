//! `Conv2d`: PyTorch's layer, weight (OC,C/G,KH,KW) and bias (OC), over the conv kernel in
//! `ops`. With G `groups`, output channels g·OC/G… see only input channels g·C/G…: each group is
//! its own convolution (G = C is a depthwise convolution).

use super::layer::{flat, flat_mut, pytorch_uniform, Layer, Mode, Param};
use super::plan::{image, product, MAX_PARAMS};
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::{Error, Result};
use crate::export::onnx::{Attr, Nodes};
use crate::field::{layer_spec, Size2};
use crate::ops::conv::{conv2d_backward, conv2d_forward, Conv2dGeometry};
use crate::ops::winograd;
use crate::ops::Kernels;
use crate::rng::Rng;

/// Output channels of a convolution, and the side of its kernel.
pub const MAX_CHANNELS: usize = 1024;
pub const MAX_KERNEL: usize = 15;

layer_spec! {
    /// `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    /// groups=1, bias=True)`; `in_channels` is the input's, `kernel_size` one side or
    /// `[height, width]`.
    pub struct Conv2dSpec {
        OUT_CHANNELS => out_channels: usize = count(1, Some(MAX_CHANNELS), 16)
            .help("feature maps it makes, one kernel stack each");
        KERNEL_SIZE => kernel_size: Size2 = size(1, Some(MAX_KERNEL), 3)
            .help("kernel height and width: one number for a square kernel, or two");
        STRIDE => stride: usize = count(1, None, 1).optional().help("step between windows");
        PADDING => padding: usize = count(0, None, 0).optional().help("zeros added on each side");
        DILATION => dilation: usize = count(1, None, 1)
            .optional()
            .help("spacing between the kernel's taps");
        GROUPS => groups: usize = count(1, None, 1)
            .optional()
            .help("channels split into this many independent convolutions (input channels: depthwise)");
        BIAS => bias: bool = flag(true).help("whether each output channel adds a learned bias");
    }
}

impl Conv2dSpec {
    /// `out_channels` kernels of `kernel_size`², PyTorch's defaults otherwise.
    pub fn new(out_channels: usize, kernel_size: usize) -> Self {
        let given = Given {
            out_channels: Some(out_channels),
            kernel_size: Some(Size2::Square(kernel_size)),
            ..Given::default()
        };
        Self::try_from(given).expect("the other fields have defaults")
    }

    /// One group's convolution: its input channels are C/G of the input's.
    pub(crate) fn geometry(&self, input: &[usize]) -> Result<Conv2dGeometry> {
        let oc = OUT_CHANNELS.check_count(self.out_channels)?;
        let [kh, kw] = self.kernel_size.sides();
        KERNEL_SIZE.check_count(kh)?;
        KERNEL_SIZE.check_count(kw)?;
        STRIDE.check_count(self.stride)?;
        DILATION.check_count(self.dilation)?;
        let g = GROUPS.check_count(self.groups)?;
        let (c, h, w) = image(input)?;
        if c % g != 0 || oc % g != 0 {
            return Err(Error::Invalid(format!(
                "{g} groups must divide its {c} input channels and {oc} output channels"
            )));
        }
        Conv2dGeometry::dilated(
            (c / g, h, w),
            (kh, kw),
            self.stride,
            self.padding,
            self.dilation,
        )
    }
}

impl LayerConfig for Conv2dSpec {
    const ABOUT: About = About {
        label: "Conv2d",
        kind: "conv",
        fields: FIELDS,
        signed: true,
        kernels: true,
        sized_by_input: true,
        help: "slides learned kernels over the image",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let conv = self.geometry(input)?;
        let oc = self.out_channels;
        // Weights OC·(C/G)·KH·KW and a bias per output channel.
        let params = product("the weight", &[oc, conv.patch_len()])?
            .checked_add(if self.bias { oc as u64 } else { 0 })
            .filter(|&p| p <= MAX_PARAMS as u64)
            .ok_or_else(|| {
                Error::Invalid(format!("its weight has more than {MAX_PARAMS} values"))
            })?;
        Ok(Planned {
            output_shape: vec![oc, conv.out_h, conv.out_w],
            params: params as usize,
            flops: product("the FLOPs", &[2, oc, conv.patch_len(), conv.out_len()])?,
            cache: 0,
            // im2col's columns and their gradient, and Winograd's tiles where it may run.
            scratch: (2 * conv.scratch_len() + winograd::scratch_len(&conv, oc / self.groups))
                as u64,
        })
    }

    fn build(&self, input: &[usize], init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Conv2d::grouped(
            self.geometry(input)?,
            self.out_channels,
            self.groups,
            self.bias,
            init.rng,
        )))
    }

    fn onnx(&self, n: &mut Nodes) {
        let [kh, kw] = self.kernel_size.sides();
        n.op(
            "Conv",
            &["weight", "bias"],
            &[
                ("kernel_shape", Attr::Ints(vec![kh as i64, kw as i64])),
                ("strides", Attr::pair(self.stride)),
                ("pads", Attr::pads(self.padding)),
                ("dilations", Attr::pair(self.dilation)),
                ("group", Attr::Int(self.groups as i64)),
            ],
        );
    }

    #[cfg(feature = "gpu")]
    fn gpu(&self, at: &crate::gpu::layers::Place) -> Result<Box<dyn crate::gpu::layers::GpuLayer>> {
        Ok(Box::new(crate::gpu::layers::conv2d::Conv2d::new(self, at)?))
    }
}

pub struct Conv2d {
    /// One group's convolution (its input channels C/G).
    geometry: Conv2dGeometry,
    out_channels: usize,
    groups: usize,
    /// [weight (OC,C/G,KH,KW), bias (OC) when it has one]
    params: Vec<Param>,
    kernels: Kernels,
}

impl Conv2d {
    /// One group: every output channel sees every input channel.
    pub fn new(geometry: Conv2dGeometry, out_channels: usize, bias: bool, rng: &mut Rng) -> Self {
        Self::grouped(geometry, out_channels, 1, bias, rng)
    }

    /// `groups` convolutions of `geometry` side by side, `out_channels` in all (a multiple of
    /// `groups`); initialised as PyTorch does, the weight drawn before the bias.
    pub fn grouped(
        geometry: Conv2dGeometry,
        out_channels: usize,
        groups: usize,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let g = geometry;
        let fan_in = g.patch_len();
        let weight = pytorch_uniform(
            &[out_channels, g.in_channels, g.kernel_h, g.kernel_w],
            fan_in,
            rng,
        );
        let mut params = vec![Param::new("weight", weight)];
        if bias {
            params.push(Param::new(
                "bias",
                pytorch_uniform(&[out_channels], fan_in, rng),
            ));
        }
        Conv2d {
            geometry,
            out_channels,
            groups,
            params,
            kernels: Kernels::default(),
        }
    }

    pub fn geometry(&self) -> &Conv2dGeometry {
        &self.geometry
    }
}

/// Per sample and group of a grouped convolution (each group's `g`, `out_channels` in all),
/// where its input, output, weight rows and bias lie: each is contiguous in NCHW.
fn group_slices(
    g: Conv2dGeometry,
    out_channels: usize,
    groups: usize,
    batch: usize,
) -> impl Iterator<Item = GroupSlices> {
    let ocg = out_channels / groups;
    let out_len = ocg * g.out_len();
    (0..batch * groups).map(move |i| GroupSlices {
        x: i * g.in_len()..(i + 1) * g.in_len(),
        y: i * out_len..(i + 1) * out_len,
        w: (i % groups) * ocg * g.patch_len()..(i % groups + 1) * ocg * g.patch_len(),
        b: (i % groups) * ocg..(i % groups + 1) * ocg,
    })
}

/// Where one sample's group lies in each buffer.
struct GroupSlices {
    x: std::ops::Range<usize>,
    y: std::ops::Range<usize>,
    w: std::ops::Range<usize>,
    b: std::ops::Range<usize>,
}

impl Layer for Conv2d {
    // x (N,C,H,W) → y (N,OC,OH,OW)
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        let (w, b) = (flat(&self.params[0].value), self.params.get(1));
        let b = b.map(|b| flat(&b.value));
        if self.groups == 1 {
            let oc = self.out_channels;
            conv2d_forward(self.kernels, x, batch, &self.geometry, w, oc, b, y);
            return;
        }
        let ocg = self.out_channels / self.groups;
        for s in group_slices(self.geometry, self.out_channels, self.groups, batch) {
            let bias = b.map(|b| &b[s.b]);
            let (x, w, y) = (&x[s.x], &w[s.w], &mut y[s.y]);
            conv2d_forward(self.kernels, x, 1, &self.geometry, w, ocg, bias, y);
        }
    }

    // Backward rebuilds x's im2col columns rather than keeping them from forward.
    fn backward(
        &mut self,
        batch: usize,
        x: &[f32],
        _y: &[f32],
        dy: &[f32],
        mut dx: Option<&mut [f32]>,
    ) {
        let (geometry, out_channels, groups) = (self.geometry, self.out_channels, self.groups);
        let kernels = self.kernels;
        let (w, b) = self
            .params
            .split_first_mut()
            .expect("a conv has its weight");
        let mut db = b.first_mut().map(|b| flat_mut(&mut b.grad));
        let (wv, dw) = (flat(&w.value), flat_mut(&mut w.grad));
        if self.groups == 1 {
            let oc = self.out_channels;
            conv2d_backward(kernels, x, batch, &self.geometry, wv, oc, dy, dw, db, dx);
            return;
        }
        let ocg = self.out_channels / self.groups;
        for s in group_slices(geometry, out_channels, groups, batch) {
            conv2d_backward(
                kernels,
                &x[s.x.clone()],
                1,
                &self.geometry,
                &wv[s.w.clone()],
                ocg,
                &dy[s.y],
                &mut dw[s.w],
                db.as_deref_mut().map(|db| &mut db[s.b]),
                dx.as_deref_mut().map(|dx| &mut dx[s.x]),
            );
        }
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn set_kernels(&mut self, kernels: Kernels) {
        self.kernels = kernels;
    }
}
