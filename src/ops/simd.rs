//! A four-lane f32 vector over the SIMD each target has: wasm `simd128`, x86-64 SSE (always
//! present there), or plain arrays elsewhere. Multiply and add stay separate operations (no fused
//! multiply-add), so every lane rounds exactly as scalar code would and a kernel gives the same
//! bits natively and in the browser — except in the wasm build with relaxed SIMD, whose
//! [`F32x4::mul_add`] is the machine's fused multiply-add: faster, and its bits its own.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F32x4(v128);

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4(f32x4_splat(v))
        }
        #[inline(always)]
        pub fn zero() -> Self {
            Self::splat(0.0)
        }
        /// Loads `s[0..4]`.
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            assert!(s.len() >= 4);
            // SAFETY: four readable floats checked above; v128_load needs no alignment.
            F32x4(unsafe { v128_load(s.as_ptr() as *const v128) })
        }
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            assert!(s.len() >= 4);
            // SAFETY: four writable floats checked above.
            unsafe { v128_store(s.as_mut_ptr() as *mut v128, self.0) }
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            F32x4(f32x4_pmax(self.0, o.0))
        }
        /// Lane `L` in every lane: one shuffle, where a splat of a float read on its own takes
        /// a load and a shuffle.
        #[inline(always)]
        pub fn lane<const L: usize>(self) -> Self {
            F32x4(match L {
                0 => i32x4_shuffle::<0, 0, 0, 0>(self.0, self.0),
                1 => i32x4_shuffle::<1, 1, 1, 1>(self.0, self.0),
                2 => i32x4_shuffle::<2, 2, 2, 2>(self.0, self.0),
                _ => i32x4_shuffle::<3, 3, 3, 3>(self.0, self.0),
            })
        }
        /// `self + a·b`, fused (one rounding) where the browser's machine has FMA.
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            F32x4(f32x4_relaxed_madd(a.0, b.0, self.0))
        }
        /// `self + a·b`, rounding the product and then the sum.
        #[cfg(not(target_feature = "relaxed-simd"))]
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            self + a * b
        }
        /// Lanes 0 and 2 of `self`, then of `o`; [`F32x4::odds`] has lanes 1 and 3.
        #[inline(always)]
        pub fn evens(self, o: Self) -> Self {
            F32x4(i32x4_shuffle::<0, 2, 4, 6>(self.0, o.0))
        }
        #[inline(always)]
        pub fn odds(self, o: Self) -> Self {
            F32x4(i32x4_shuffle::<1, 3, 5, 7>(self.0, o.0))
        }
        /// Lanes 0 and 1 of `self` and `o` taking turns; [`F32x4::zip_high`] lanes 2 and 3.
        #[inline(always)]
        pub fn zip_low(self, o: Self) -> Self {
            F32x4(i32x4_shuffle::<0, 4, 1, 5>(self.0, o.0))
        }
        #[inline(always)]
        pub fn zip_high(self, o: Self) -> Self {
            F32x4(i32x4_shuffle::<2, 6, 3, 7>(self.0, o.0))
        }
    }

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F32x4(f32x4_add(self.0, o.0))
        }
    }

    impl core::ops::Sub for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            F32x4(f32x4_sub(self.0, o.0))
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            F32x4(f32x4_mul(self.0, o.0))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    #[derive(Clone, Copy)]
    pub struct F32x4(__m128);

    // SAFETY (all below): SSE is part of the x86-64 baseline, and every load and store checks
    // that four floats are there; the unaligned forms need no alignment.
    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4(unsafe { _mm_set1_ps(v) })
        }
        #[inline(always)]
        pub fn zero() -> Self {
            F32x4(unsafe { _mm_setzero_ps() })
        }
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            assert!(s.len() >= 4);
            F32x4(unsafe { _mm_loadu_ps(s.as_ptr()) })
        }
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            assert!(s.len() >= 4);
            unsafe { _mm_storeu_ps(s.as_mut_ptr(), self.0) }
        }
        /// Lane-wise `if o > self { o } else { self }`, as wasm's `pmax`.
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            F32x4(unsafe { _mm_max_ps(o.0, self.0) })
        }
        /// Lane `L` in every lane.
        #[inline(always)]
        pub fn lane<const L: usize>(self) -> Self {
            F32x4(unsafe {
                match L {
                    0 => _mm_shuffle_ps::<0x00>(self.0, self.0),
                    1 => _mm_shuffle_ps::<0x55>(self.0, self.0),
                    2 => _mm_shuffle_ps::<0xaa>(self.0, self.0),
                    _ => _mm_shuffle_ps::<0xff>(self.0, self.0),
                }
            })
        }
        /// `self + a·b`, rounding the product and then the sum.
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            self + a * b
        }
        #[inline(always)]
        pub fn evens(self, o: Self) -> Self {
            F32x4(unsafe { _mm_shuffle_ps::<0b10_00_10_00>(self.0, o.0) })
        }
        #[inline(always)]
        pub fn odds(self, o: Self) -> Self {
            F32x4(unsafe { _mm_shuffle_ps::<0b11_01_11_01>(self.0, o.0) })
        }
        #[inline(always)]
        pub fn zip_low(self, o: Self) -> Self {
            F32x4(unsafe { _mm_unpacklo_ps(self.0, o.0) })
        }
        #[inline(always)]
        pub fn zip_high(self, o: Self) -> Self {
            F32x4(unsafe { _mm_unpackhi_ps(self.0, o.0) })
        }
    }

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F32x4(unsafe { _mm_add_ps(self.0, o.0) })
        }
    }

    impl core::ops::Sub for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            F32x4(unsafe { _mm_sub_ps(self.0, o.0) })
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            F32x4(unsafe { _mm_mul_ps(self.0, o.0) })
        }
    }
}

#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
mod imp {
    #[derive(Clone, Copy)]
    pub struct F32x4([f32; 4]);

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4([v; 4])
        }
        #[inline(always)]
        pub fn zero() -> Self {
            Self::splat(0.0)
        }
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            F32x4([s[0], s[1], s[2], s[3]])
        }
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            s[..4].copy_from_slice(&self.0);
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| {
                if o.0[i] > self.0[i] {
                    o.0[i]
                } else {
                    self.0[i]
                }
            }))
        }
        /// Lane `L` in every lane.
        #[inline(always)]
        pub fn lane<const L: usize>(self) -> Self {
            F32x4([self.0[L]; 4])
        }
        /// `self + a·b`, rounding the product and then the sum.
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            self + a * b
        }
        #[inline(always)]
        pub fn evens(self, o: Self) -> Self {
            F32x4([self.0[0], self.0[2], o.0[0], o.0[2]])
        }
        #[inline(always)]
        pub fn odds(self, o: Self) -> Self {
            F32x4([self.0[1], self.0[3], o.0[1], o.0[3]])
        }
        #[inline(always)]
        pub fn zip_low(self, o: Self) -> Self {
            F32x4([self.0[0], o.0[0], self.0[1], o.0[1]])
        }
        #[inline(always)]
        pub fn zip_high(self, o: Self) -> Self {
            F32x4([self.0[2], o.0[2], self.0[3], o.0[3]])
        }
    }

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] + o.0[i]))
        }
    }

    impl core::ops::Sub for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] - o.0[i]))
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] * o.0[i]))
        }
    }
}

pub use imp::F32x4;

#[cfg(test)]
mod tests {
    use super::F32x4;

    #[test]
    fn lanes_compute_what_scalars_do() {
        let a = [1.5, -2.0, 3.25, 0.0];
        let b = [2.0, 4.0, -1.0, 7.0];
        let mut out = [0.0; 4];
        (F32x4::load(&a) * F32x4::load(&b) + F32x4::splat(1.0)).store(&mut out);
        assert_eq!(out, [4.0, -7.0, -2.25, 1.0]);
        F32x4::load(&a).max(F32x4::load(&b)).store(&mut out);
        assert_eq!(out, [2.0, 4.0, 3.25, 7.0]);
        let v = F32x4::load(&a);
        for (lane, want) in [v.lane::<0>(), v.lane::<1>(), v.lane::<2>(), v.lane::<3>()]
            .iter()
            .zip(a)
        {
            lane.store(&mut out);
            assert_eq!(out, [want; 4]);
        }
        let (u, w) = (F32x4::load(&a), F32x4::load(&b));
        let cases = [
            (u - w, [-0.5, -6.0, 4.25, -7.0]),
            (u.evens(w), [1.5, 3.25, 2.0, -1.0]),
            (u.odds(w), [-2.0, 0.0, 4.0, 7.0]),
            (u.zip_low(w), [1.5, 2.0, -2.0, 4.0]),
            (u.zip_high(w), [3.25, -1.0, 0.0, 7.0]),
        ];
        for (v, want) in cases {
            v.store(&mut out);
            assert_eq!(out, want);
        }
    }
}
