//! The convolution against PyTorch: the tutorial's three animations and its mean filter
//! (`fixtures/conv_cases.safetensors`). Each check runs natively and in the browser.
//!
//! Produced by PyTorch with, for example:
//!   anim1.output = F.conv2d(anim1.input, anim1.weight, stride=1, padding=0)
//!   anim3.output = F.conv2d(anim3.input, anim3.weight, anim3.bias, stride=2, padding=1)
//!   mean.output_hwc_u8 = (per channel F.conv2d(ones 3×3, padding=1) / 9).astype(uint8)

mod common;

use cnn_playground::image::{filters::Filter, Image};
use cnn_playground::ops::conv::conv2d;
use common::*;
use ndarray::{ArrayView1, ArrayView4};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn view4<'a>(v: &'a [f32], s: &[usize]) -> ArrayView4<'a, f32> {
    ArrayView4::from_shape((s[0], s[1], s[2], s[3]), v).unwrap()
}

fn check_anim(case: &str, stride: usize, padding: usize) {
    let st = load(CONV_CASES);
    let (x, xs) = f32s(&st, &format!("{case}.input"));
    let (w, ws) = f32s(&st, &format!("{case}.weight"));
    let bias = st
        .tensor(&format!("{case}.bias"))
        .ok()
        .map(|_| f32s(&st, &format!("{case}.bias")).0);
    let (want, want_shape) = f32s(&st, &format!("{case}.output"));
    let y = conv2d(
        view4(&x, &xs),
        view4(&w, &ws),
        bias.as_deref().map(ArrayView1::from),
        stride,
        padding,
    )
    .expect("valid conv");
    assert_eq!(y.shape(), &want_shape[..], "{case} output shape");
    check_tensor(case, y.as_slice().unwrap(), &want, 1e-4, 1e-5);
}

#[test]
fn anim1_single_channel_3x3_kernel() {
    check_anim("anim1", 1, 0);
}

#[test]
fn anim2_three_channels_plus_bias() {
    check_anim("anim2", 1, 0);
}

#[test]
fn anim3_padding_1_stride_2() {
    check_anim("anim3", 2, 1);
}

#[test]
fn mean_filter_matches_the_tutorial_to_the_byte() {
    let st = load(CONV_CASES);
    let (pixels, s) = u8s(&st, "mean.image_hwc_u8");
    let (want, _) = u8s(&st, "mean.output_hwc_u8");
    let image = Image::new(s[1], s[0], s[2], pixels).unwrap();
    let out = Filter::named("mean").unwrap().apply(&image).unwrap();
    let off: Vec<usize> = (0..want.len())
        .filter(|&i| out.pixels[i] != want[i])
        .collect();
    assert!(
        off.is_empty(),
        "{} of {} bytes differ, first at {:?}",
        off.len(),
        want.len(),
        off.first()
    );
}

#[test]
fn impossible_shapes_are_errors_not_panics() {
    let x = vec![0.0; 25];
    let w = vec![0.0; 9];
    let x4 = view4(&x, &[1, 1, 5, 5]);
    // Kernel larger than the padded input.
    let big = vec![0.0; 49];
    assert!(conv2d(x4, view4(&big, &[1, 1, 7, 7]), None, 1, 0).is_err());
    // Channel mismatch.
    let w2 = vec![0.0; 18];
    assert!(conv2d(x4, view4(&w2, &[1, 2, 3, 3]), None, 1, 0).is_err());
    // Stride 0 and a bias of the wrong length.
    assert!(conv2d(x4, view4(&w, &[1, 1, 3, 3]), None, 0, 0).is_err());
    let b = [1.0, 2.0];
    assert!(conv2d(
        x4,
        view4(&w, &[1, 1, 3, 3]),
        Some(ArrayView1::from(&b[..])),
        1,
        0
    )
    .is_err());
    // Bad filters and images.
    assert!(Filter::named("blurry").is_err());
    assert!(Filter::from_json(r#"{"kernel": [[1, 2], [3, 4]]}"#).is_err());
    assert!(Filter::from_json(r#"{"kernel": [[1, 2, 3]]}"#).is_err());
    assert!(Filter::from_json("not json").is_err());
    assert!(Image::new(0, 5, 3, vec![]).is_err());
    assert!(Image::new(20_000, 20_000, 4, vec![]).is_err());
    assert!(Image::new(2, 2, 3, vec![0; 5]).is_err());
}
