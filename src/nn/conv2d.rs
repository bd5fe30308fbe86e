//! `Conv2d`: PyTorch's layer, weight (OC,C,KH,KW) and bias (OC), over the conv kernel in `ops`.

use super::layer::{flat, flat_mut, pytorch_uniform, Layer, Mode, Param};
use super::plan::{image, product, MAX_PARAMS};
use super::spec::{About, Init, LayerConfig, Planned};
use crate::error::{Error, Result};
use crate::field::{Field, Size2};
use crate::ops::conv::{conv2d_backward, conv2d_forward, Conv2dGeometry};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Output channels of a convolution, and the side of its kernel.
pub const MAX_CHANNELS: usize = 1024;
pub const MAX_KERNEL: usize = 15;

const OUT_CHANNELS: Field = Field::count("out_channels", 1, Some(MAX_CHANNELS), 16)
    .help("feature maps it makes, one kernel stack each");
const KERNEL_SIZE: Field = Field::size("kernel_size", 1, Some(MAX_KERNEL), 3)
    .help("kernel height and width: one number for a square kernel, or two");
const STRIDE: Field = Field::count("stride", 1, None, 1)
    .optional()
    .help("step between windows");
const PADDING: Field = Field::count("padding", 0, None, 0)
    .optional()
    .help("zeros added on each side");
const BIAS: Field =
    Field::flag("bias", true).help("whether each output channel adds a learned bias");

/// `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True)`;
/// `in_channels` is the input's, `kernel_size` one side or `[height, width]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2dSpec {
    pub out_channels: usize,
    pub kernel_size: Size2,
    #[serde(default = "stride")]
    pub stride: usize,
    #[serde(default = "padding")]
    pub padding: usize,
    #[serde(default = "bias")]
    pub bias: bool,
}

fn stride() -> usize {
    STRIDE.default_count()
}

fn padding() -> usize {
    PADDING.default_count()
}

fn bias() -> bool {
    BIAS.default_flag()
}

impl Conv2dSpec {
    /// `out_channels` kernels of `kernel_size`², PyTorch's defaults otherwise.
    pub fn new(out_channels: usize, kernel_size: usize) -> Self {
        Conv2dSpec {
            out_channels,
            kernel_size: Size2::Square(kernel_size),
            stride: stride(),
            padding: padding(),
            bias: bias(),
        }
    }

    fn geometry(&self, input: &[usize]) -> Result<Conv2dGeometry> {
        OUT_CHANNELS.check_count(self.out_channels)?;
        let [kh, kw] = self.kernel_size.sides();
        KERNEL_SIZE.check_count(kh)?;
        KERNEL_SIZE.check_count(kw)?;
        STRIDE.check_count(self.stride)?;
        Conv2dGeometry::new(image(input)?, (kh, kw), self.stride, self.padding)
    }
}

impl LayerConfig for Conv2dSpec {
    const ABOUT: About = About {
        label: "Conv2d",
        kind: "conv",
        fields: &[OUT_CHANNELS, KERNEL_SIZE, STRIDE, PADDING, BIAS],
        signed: true,
        kernels: true,
        help: "slides learned kernels over the image",
    };

    fn plan(&self, input: &[usize]) -> Result<Planned> {
        let conv = self.geometry(input)?;
        let oc = self.out_channels;
        // Weights OC·C·KH·KW and a bias per output channel.
        let params = product("the weight", &[oc, conv.patch_len()])?
            .checked_add(if self.bias { oc as u64 } else { 0 })
            .filter(|&p| p <= MAX_PARAMS as u64)
            .ok_or_else(|| {
                Error::Invalid(format!("its weight has more than {MAX_PARAMS} values"))
            })?;
        Ok(Planned {
            output: vec![oc, conv.out_h, conv.out_w],
            params: params as usize,
            flops: product("the FLOPs", &[2, oc, conv.patch_len(), conv.out_len()])?,
            cache: 0,
            scratch: 2 * conv.scratch_len() as u64,
        })
    }

    fn build(&self, input: &[usize], init: &mut Init) -> Result<Box<dyn Layer>> {
        Ok(Box::new(Conv2d::new(
            self.geometry(input)?,
            self.out_channels,
            self.bias,
            init.rng,
        )))
    }
}

pub struct Conv2d {
    geometry: Conv2dGeometry,
    out_channels: usize,
    /// [weight (OC,C,KH,KW), bias (OC) when it has one]
    params: Vec<Param>,
}

impl Conv2d {
    /// Initialised as PyTorch does, the weight drawn before the bias.
    pub fn new(geometry: Conv2dGeometry, out_channels: usize, bias: bool, rng: &mut Rng) -> Self {
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
            params,
        }
    }

    pub fn geometry(&self) -> &Conv2dGeometry {
        &self.geometry
    }
}

impl Layer for Conv2d {
    // x (N,C,H,W) → y (N,OC,OH,OW)
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        let (w, b) = (&self.params[0], self.params.get(1));
        conv2d_forward(
            x,
            batch,
            &self.geometry,
            flat(&w.value),
            self.out_channels,
            b.map(|b| flat(&b.value)),
            y,
        );
    }

    // Backward rebuilds x's im2col columns rather than keeping them from forward.
    fn backward(
        &mut self,
        batch: usize,
        x: &[f32],
        _y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let (w, b) = self
            .params
            .split_first_mut()
            .expect("a conv has its weight");
        let b = b.first_mut();
        conv2d_backward(
            x,
            batch,
            &self.geometry,
            flat(&w.value),
            self.out_channels,
            dy,
            flat_mut(&mut w.grad),
            b.map(|b| flat_mut(&mut b.grad)),
            dx,
        );
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }
}
