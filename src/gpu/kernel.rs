//! The kernels: each WGSL file in `wgsl/` as a module here, with its uniform's fields as a
//! `#[repr(C)]` struct (`Args`) and its storage bindings as named fields (`Buffers`), both in the
//! file's order. A launch names every argument and buffer; the test below holds each module to
//! its WGSL file, field by field.

use std::marker::PhantomData;

/// How a kernel uses a storage binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

/// A WGSL file: binding 0 is its arguments, then its storage buffers, the same for every entry
/// point in it.
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
    /// The uniform's fields: (name, WGSL type), held to the WGSL file by the test below.
    #[cfg_attr(not(test), allow(dead_code))]
    pub args: &'static [(&'static str, &'static str)],
    /// The storage bindings from binding 1 on: (name, access).
    pub bindings: &'static [(&'static str, Access)],
}

/// What a shader's module gives a launch: its arguments' struct and its buffers.
pub trait Launch {
    type Args: bytemuck::Pod;
    type Buffers<'a>;
    const SHADER: &'static Shader;
    /// The buffers in binding order (`None`: a binding this entry point leaves unused).
    fn bindings<'a>(buffers: &Self::Buffers<'a>) -> Vec<Option<&'a wgpu::Buffer>>;
}

/// One entry point of a shader.
pub struct Kernel<L> {
    pub entry: &'static str,
    shader: PhantomData<L>,
}

impl<L> Clone for Kernel<L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L> Copy for Kernel<L> {}

impl<L: Launch> Kernel<L> {
    pub fn shader(&self) -> &'static Shader {
        L::SHADER
    }
}

/// Declares a shader's module: `name = "file" { args { field: type, … } buffers { name: Access,
/// … } }`, each list in the WGSL file's order.
macro_rules! shader {
    ($(#[$doc:meta])* $module:ident = $file:literal {
        args { $($arg:ident: $ty:ident),* $(,)? }
        buffers { $($buf:ident: $access:ident),* $(,)? }
    }) => {
        $(#[$doc])*
        pub mod $module {
            use super::{Access, Kernel, Launch, Shader};

            pub static SHADER: Shader = Shader {
                name: $file,
                source: include_str!(concat!("wgsl/", $file, ".wgsl")),
                args: &[$((stringify!($arg), stringify!($ty))),*],
                bindings: &[$((stringify!($buf), Access::$access)),*],
            };

            /// The uniform's fields.
            #[repr(C)]
            #[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
            pub struct Args {
                $(pub $arg: $ty,)*
            }

            /// The storage bindings (`None`: unused by the entry point).
            #[derive(Clone, Copy, Default)]
            pub struct Buffers<'a> {
                $(pub $buf: Option<&'a wgpu::Buffer>,)*
            }

            pub enum File {}

            impl Launch for File {
                type Args = Args;
                type Buffers<'a> = Buffers<'a>;
                const SHADER: &'static Shader = &SHADER;
                fn bindings<'a>(b: &Self::Buffers<'a>) -> Vec<Option<&'a wgpu::Buffer>> {
                    vec![$(b.$buf),*]
                }
            }

            /// The entry point `entry` of this file.
            pub fn entry(entry: &'static str) -> Kernel<File> {
                Kernel { entry, shader: std::marker::PhantomData }
            }
        }
    };
}

shader! {
    /// C = op(A)·op(B) (tiled or direct), and the sum of a K-split product's slices.
    gemm = "gemm" {
        args {
            m: u32, n: u32, k: u32, accumulate: u32,
            a_off: u32, a_rs: u32, a_cs: u32, b_off: u32,
            b_rs: u32, b_cs: u32, c_off: u32, c_rs: u32,
            k_chunk: u32, c_slice: u32,
        }
        buffers { a: Read, b: Read, c: Write }
    }
}

shader! {
    /// im2col and col2im, the (C, N·P) ↔ (N, C, P) moves, the bias and its gradient.
    im2col = "im2col" {
        args {
            channels: u32, height: u32, width: u32, kernel_h: u32,
            kernel_w: u32, stride: u32, padding: u32, dilation: u32,
            out_h: u32, out_w: u32, batch: u32, len: u32,
            planes: u32, plane: u32, accumulate: u32, offset: u32,
        }
        buffers { src: Read, dst: Write }
    }
}

shader! {
    /// The activations forward and backward, and an elementwise product.
    elementwise = "elementwise" {
        args { len: u32, slope: f32 }
        buffers { x: Read, y: Read, dy: Read, out: Write }
    }
}

shader! {
    /// Max and average pooling (fixed or adaptive windows), forward and backward.
    pool = "pool" {
        args {
            planes: u32, height: u32, width: u32, out_h: u32,
            out_w: u32, kernel: u32, stride: u32, padding: u32,
            adaptive: u32, len: u32,
        }
        buffers { src: Read, arg: Read, dst: Write, arg_out: Write }
    }
}

shader! {
    /// Batch normalisation: the statistics, the normalisation and its gradients.
    batch_norm = "batch_norm" {
        args {
            channels: u32, spatial: u32, batch: u32, len: u32,
            param_off: u32, grad_off: u32, buf_off: u32, train: u32,
            eps: f32, momentum: f32,
        }
        buffers { x: Read, dy: Read, params: Read, s: Read, out: Write, out2: Write }
    }
}

shader! {
    /// Softmax cross-entropy with its gradient, the batch's totals, explaining's one-hot.
    loss = "loss" {
        args { rows: u32, classes: u32, smoothing: f32 }
        buffers { logits: Read, labels: Read, dlogits: Write, rows: Write }
    }
}

shader! {
    /// Adam and SGD updates, behind a guard that halts on a non-finite loss.
    optim = "optim" {
        args {
            len: u32, lr: f32, beta1: f32, beta2: f32,
            eps: f32, weight_decay: f32, step_size: f32, bc2_sqrt: f32,
            momentum: f32, nesterov: u32, started: u32, loss_at: u32,
        }
        buffers { grads: Read, rows: Read, params: Write, m: Write, v: Write, halt: Write }
    }
}

/// Every shader.
#[cfg(test)]
pub const SHADERS: [&Shader; 7] = [
    &gemm::SHADER,
    &im2col::SHADER,
    &elementwise::SHADER,
    &pool::SHADER,
    &batch_norm::SHADER,
    &loss::SHADER,
    &optim::SHADER,
];

/// Bytes of a launch's arguments, padded to 16 (a uniform buffer's granule).
pub(crate) fn uniform_bytes<A: bytemuck::Pod>(args: &A) -> Vec<u8> {
    let mut bytes = bytemuck::bytes_of(args).to_vec();
    bytes.resize(bytes.len().next_multiple_of(16), 0);
    bytes
}

/// A size as a kernel argument; every size the GPU path passes was checked against the
/// device's buffers, which hold fewer than 2³² values.
pub(crate) fn u(v: usize) -> u32 {
    u32::try_from(v).expect("sizes within the GPU's buffers")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of `struct name { … }` in `source`: (name, type).
    fn wgsl_struct(source: &str, name: &str) -> Vec<(String, String)> {
        let start = source
            .find(&format!("struct {name} {{"))
            .unwrap_or_else(|| panic!("struct {name}"));
        let body = &source[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
        body.lines()
            .map(|l| l.split("//").next().unwrap())
            .flat_map(|l| l.split(','))
            .filter_map(|f| f.split_once(':'))
            .map(|(n, t)| (n.trim().to_string(), t.trim().to_string()))
            .collect()
    }

    /// The `@group(0) @binding(i) var<…> name` declarations, by binding: (name, address space).
    fn wgsl_bindings(source: &str) -> Vec<(String, String)> {
        source
            .lines()
            .filter_map(|l| l.trim().strip_prefix("@group(0) @binding("))
            .map(|l| {
                let (_, var) = l.split_once("var<").unwrap();
                let (space, rest) = var.split_once('>').unwrap();
                let name = rest.trim().split(':').next().unwrap().trim();
                (name.to_string(), space.to_string())
            })
            .collect()
    }

    #[test]
    fn every_module_names_its_wgsl_files_fields_and_bindings_in_order() {
        for shader in SHADERS {
            let bindings = wgsl_bindings(shader.source);
            let (uniform, ty) = &bindings[0];
            let uniform_type = shader
                .source
                .lines()
                .find_map(|l| l.split_once(&format!("var<uniform> {uniform}:")))
                .map(|(_, t)| t.trim().trim_end_matches(';').to_string())
                .unwrap();
            assert_eq!(ty, "uniform", "{}: binding 0", shader.name);
            let fields = wgsl_struct(shader.source, &uniform_type);
            let ours: Vec<(String, String)> = shader
                .args
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect();
            assert_eq!(ours, fields, "{}.wgsl's {uniform_type}", shader.name);
            let storage: Vec<(String, String)> = shader
                .bindings
                .iter()
                .map(|(n, a)| {
                    let space = match a {
                        Access::Read => "storage, read",
                        Access::Write => "storage, read_write",
                    };
                    (n.to_string(), space.to_string())
                })
                .collect();
            assert_eq!(storage, bindings[1..], "{}.wgsl's bindings", shader.name);
        }
    }

    #[test]
    fn arguments_are_laid_out_as_the_fields_are_declared() {
        let args = gemm::Args {
            m: 1,
            n: 2,
            c_slice: 14,
            ..Default::default()
        };
        let words: Vec<u32> = bytemuck::cast_slice(&uniform_bytes(&args)).to_vec();
        assert_eq!(words.len(), 16);
        assert_eq!((words[0], words[1], words[13]), (1, 2, 14));
        assert_eq!(uniform_bytes(&elementwise::Args::default()).len(), 16);
    }
}
