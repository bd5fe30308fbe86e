//! The kernels: each WGSL file in `wgsl/` with the storage bindings its entry points share, and
//! the arguments a launch passes in its uniform buffer.

/// How a kernel uses a storage binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

use Access::{Read, Write};

/// A WGSL file: binding 0 is its arguments, then `bindings` storage buffers, the same for every
/// entry point in it.
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
    pub bindings: &'static [Access],
}

/// One entry point of a shader.
#[derive(Clone, Copy)]
pub struct Kernel {
    pub shader: &'static Shader,
    pub entry: &'static str,
}

macro_rules! shader {
    ($name:ident, $file:literal, [$($access:ident),*]) => {
        pub static $name: Shader = Shader {
            name: $file,
            source: include_str!(concat!("wgsl/", $file, ".wgsl")),
            bindings: &[$($access),*],
        };
    };
}

// a, b → c
shader!(GEMM, "gemm", [Read, Read, Write]);
// src → dst
shader!(IM2COL, "im2col", [Read, Write]);
// x, y, dy → out
shader!(ELEMENTWISE, "elementwise", [Read, Read, Read, Write]);
// src, arg → dst, arg_out
shader!(POOL, "pool", [Read, Read, Write, Write]);
// x, dy, params, s → out, out2
shader!(
    BATCH_NORM,
    "batch_norm",
    [Read, Read, Read, Read, Write, Write]
);
// logits, labels → dlogits, rows
shader!(LOSS, "loss", [Read, Read, Write, Write]);
// grads, rows → params, m, v, halt
shader!(OPTIM, "optim", [Read, Read, Write, Write, Write, Write]);

impl Shader {
    pub fn entry(&'static self, entry: &'static str) -> Kernel {
        Kernel {
            shader: self,
            entry,
        }
    }
}

/// A launch's arguments, in the order of the fields of the shader's uniform struct: sixteen
/// 32-bit words, integers or floats.
#[derive(Clone, Copy, Default)]
pub struct Args {
    words: [u32; 16],
    len: usize,
}

impl Args {
    pub fn new() -> Self {
        Self::default()
    }

    /// An integer; every size the GPU path passes was checked against the device's buffers,
    /// which hold fewer than 2³² values.
    pub fn u(mut self, v: usize) -> Self {
        self.words[self.len] = u32::try_from(v).expect("sizes within the GPU's buffers");
        self.len += 1;
        self
    }

    pub fn f(mut self, v: f32) -> Self {
        self.words[self.len] = v.to_bits();
        self.len += 1;
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}
