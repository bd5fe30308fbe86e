//! How the CPU computes a model's products: the fastest kernels this machine and build have, or
//! the strict ones whose bits are the same on every machine and in the browser's SIMD build.
//! A named choice each model carries (its layers keep it, [`crate::nn::Model::set_kernels`]),
//! so one model's choice never changes another's.

use super::gemm::{self, MatRef};

/// How a GEMM rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Fused multiply-adds where the machine has them (x86-64 with AVX2 and FMA, checked at run
    /// time): faster, their last bits their own.
    Fastest,
    /// Multiply, then add: the same bits as the browser's SIMD builds, run after run.
    Strict,
}

/// Which way the 3×3 convolutions that could take either run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conv3x3 {
    /// Winograd where both sides have enough channels to gain by it, im2col elsewhere.
    Faster,
    Im2col,
    Winograd,
}

/// The kernels a model computes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels {
    pub rounding: Rounding,
    pub conv3x3: Conv3x3,
}

impl Kernels {
    /// The fastest this machine and build have: the default.
    pub const FASTEST: Kernels = Kernels {
        rounding: Rounding::Fastest,
        conv3x3: Conv3x3::Faster,
    };
    /// Bit for bit the page's SIMD build (Winograd, whose rounding is its own, is left out
    /// with the fused products).
    pub const STRICT: Kernels = Kernels {
        rounding: Rounding::Strict,
        conv3x3: Conv3x3::Faster,
    };

    /// Whether GEMMs use the fused kernel: the machine has it and strictness was not asked for.
    pub fn fused(self) -> bool {
        self.rounding == Rounding::Fastest && gemm::fused_available()
    }

    /// Whether products round as the strict kernel does, multiply then add, the same bits
    /// everywhere: not with the native fused kernel, nor in the relaxed-SIMD build.
    pub fn strict(self) -> bool {
        !(cfg!(target_feature = "relaxed-simd") || self.fused())
    }

    /// `C = A·B` (or `C += A·B` when `accumulate`), C row-major `m×n` with leading dimension
    /// `ldc`; A is `m×k`, B is `k×n`.
    pub fn gemm(self, a: MatRef, b: MatRef, c: &mut [f32], ldc: usize, accumulate: bool) {
        gemm::gemm(a, b, c, ldc, accumulate, self.fused());
    }
}

impl Default for Kernels {
    fn default() -> Self {
        Kernels::FASTEST
    }
}
