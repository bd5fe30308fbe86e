//! What the elementwise activations share: a layer that maps each value through `f` and each
//! gradient through `f'`, given the input and the output, whichever the derivative is cheaper
//! from. The functions come from `libm`, so native and wasm builds give the same bits.

use super::layer::{Layer, Mode};

/// An elementwise function and its derivative.
pub trait Elementwise: Send + 'static {
    fn f(&self, x: f32) -> f32;
    /// dy/dx at input `x`, whose output was `y`.
    fn df(&self, x: f32, y: f32) -> f32;
}

/// A layer that applies `F` to every value.
pub struct Activation<F>(pub F);

impl<F: Elementwise> Layer for Activation<F> {
    fn forward(&mut self, _batch: usize, x: &[f32], y: &mut [f32], _mode: Mode) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = self.0.f(x);
        }
    }

    // dx = dy · f'(x)
    fn backward(
        &mut self,
        _batch: usize,
        x: &[f32],
        y: &[f32],
        dy: &[f32],
        dx: Option<&mut [f32]>,
    ) {
        let Some(dx) = dx else { return };
        for (((d, &g), &x), &y) in dx.iter_mut().zip(dy).zip(x).zip(y) {
            *d = g * self.0.df(x, y);
        }
    }
}
