//! Every layer's backward pass against central finite differences: for a random projection r of
//! the output, L(x, θ) = Σ r·layer(x; θ) is differentiated numerically (differences and sums in
//! f64, the layer itself in f32) and compared with what `backward` returns. Runs natively and in
//! the browser.

use cnn_playground::nn::batch_norm2d::BatchNorm2d;
use cnn_playground::nn::conv2d::Conv2d;
use cnn_playground::nn::dropout::Dropout;
use cnn_playground::nn::flatten::Flatten;
use cnn_playground::nn::linear::Linear;
use cnn_playground::nn::loss::softmax_cross_entropy;
use cnn_playground::nn::max_pool2d::MaxPool2d;
use cnn_playground::nn::pool_window::PoolWindow;
use cnn_playground::nn::relu::Relu;
use cnn_playground::nn::spec::Init;
use cnn_playground::nn::{Layer, LayerSpec, Mode, Param};
use cnn_playground::ops::conv::Conv2dGeometry;
use cnn_playground::rng::Rng;
use ndarray::ArrayD;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const EPS: f32 = 1e-2;

fn random(shape: &[usize], rng: &mut Rng) -> ArrayD<f32> {
    ArrayD::from_shape_simple_fn(shape.to_vec(), || rng.uniform(-1.0, 1.0))
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&a, &b)| a as f64 * b as f64).sum()
}

fn assert_close(label: &str, analytic: f32, numeric: f64) {
    let diff = (analytic as f64 - numeric).abs();
    assert!(
        diff <= 2e-3 + 1e-2 * numeric.abs(),
        "{label}: backward gives {analytic}, finite differences {numeric} (diff {diff:.2e})"
    );
}

/// Up to `count` indices spread over `0..len`, always the first and the last.
fn some_indices(len: usize, count: usize) -> Vec<usize> {
    let step = (len / count).max(1);
    let mut v: Vec<usize> = (0..len).step_by(step).collect();
    v.push(len - 1);
    v
}

/// Runs a training forward of `x` (N, …), giving N outputs of `out_len` values each.
fn forward<L: Layer>(layer: &mut L, x: &ArrayD<f32>, out_len: usize) -> Vec<f32> {
    let n = x.shape()[0];
    let mut y = vec![f32::NAN; n * out_len];
    layer.forward(n, x.as_slice().unwrap(), &mut y, Mode::Train);
    y
}

/// Checks dL/dx and dL/dθ of a layer whose outputs have `out_len` values per sample. `make`
/// builds the layer afresh for every evaluation, so a layer that draws random numbers (dropout)
/// sees the same draws each time. The output and dx buffers start as NaN: a layer must
/// overwrite every value, not add to what was there.
fn gradcheck<L: Layer>(label: &str, make: impl Fn() -> L, x: ArrayD<f32>, out_len: usize) {
    let mut layer = make();
    let n = x.shape()[0];
    let y = forward(&mut layer, &x, out_len);
    let r: Vec<f32> = {
        let mut rng = Rng::new(99);
        y.iter().map(|_| rng.uniform(-1.0, 1.0)).collect()
    };
    let mut dx = vec![f32::NAN; x.len()];
    layer.backward(n, x.as_slice().unwrap(), &y, &r, Some(&mut dx));
    let loss = |layer: &mut L, x: &ArrayD<f32>| dot(&forward(layer, x, out_len), &r);

    let mut xp = x.clone();
    for i in some_indices(x.len(), 40) {
        let orig = xp.as_slice().unwrap()[i];
        xp.as_slice_mut().unwrap()[i] = orig + EPS;
        let plus = loss(&mut make(), &xp);
        xp.as_slice_mut().unwrap()[i] = orig - EPS;
        let minus = loss(&mut make(), &xp);
        xp.as_slice_mut().unwrap()[i] = orig;
        assert_close(
            &format!("{label} dx[{i}]"),
            dx[i],
            (plus - minus) / (2.0 * EPS as f64),
        );
    }
    assert!(
        dx.iter().all(|v| v.is_finite()),
        "{label}: dx is not all written"
    );

    for p in 0..layer.params().len() {
        let grad = layer.params()[p].grad.clone();
        let name = layer.params()[p].name;
        for i in some_indices(grad.len(), 30) {
            let mut probe = make();
            let orig = probe.params()[p].value.as_slice().unwrap()[i];
            probe.params_mut()[p].value.as_slice_mut().unwrap()[i] = orig + EPS;
            let plus = loss(&mut probe, &x);
            probe.params_mut()[p].value.as_slice_mut().unwrap()[i] = orig - EPS;
            let minus = loss(&mut probe, &x);
            assert_close(
                &format!("{label} d{name}[{i}]"),
                grad.as_slice().unwrap()[i],
                (plus - minus) / (2.0 * EPS as f64),
            );
        }
    }
}

#[test]
fn conv2d_padding_1_stride_1() {
    let g = Conv2dGeometry::new((3, 7, 6), (3, 3), 1, 1).unwrap();
    gradcheck(
        "conv2d",
        || Conv2d::new(g, 4, true, &mut Rng::new(1)),
        random(&[2, 3, 7, 6], &mut Rng::new(2)),
        4 * g.out_len(),
    );
}

#[test]
fn conv2d_padding_1_stride_2_and_a_5x5_kernel() {
    let g = Conv2dGeometry::new((2, 9, 8), (3, 3), 2, 1).unwrap();
    gradcheck(
        "conv2d s2",
        || Conv2d::new(g, 3, true, &mut Rng::new(3)),
        random(&[2, 2, 9, 8], &mut Rng::new(4)),
        3 * g.out_len(),
    );
    let g = Conv2dGeometry::new((1, 8, 8), (5, 5), 1, 0).unwrap();
    gradcheck(
        "conv2d 5x5",
        || Conv2d::new(g, 2, true, &mut Rng::new(5)),
        random(&[1, 1, 8, 8], &mut Rng::new(6)),
        2 * g.out_len(),
    );
}

#[test]
fn linear() {
    gradcheck(
        "linear",
        || Linear::new(13, 7, true, &mut Rng::new(7)),
        random(&[5, 13], &mut Rng::new(8)),
        7,
    );
}

/// A layer built from its spec's JSON, for a per-sample input `shape`, as a network builds it.
struct Built(Box<dyn Layer>);

impl Built {
    fn new(json: &str, shape: &[usize]) -> Self {
        let spec: LayerSpec = serde_json::from_str(json).unwrap();
        Built(
            spec.build(shape, &mut Init::new(&mut Rng::new(1), 1, 0))
                .unwrap(),
        )
    }
}

impl Layer for Built {
    fn forward(&mut self, batch: usize, x: &[f32], y: &mut [f32], mode: Mode) {
        self.0.forward(batch, x, y, mode)
    }
    fn backward(&mut self, batch: usize, x: &[f32], y: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        self.0.backward(batch, x, y, dy, dx)
    }
    fn params(&self) -> &[Param] {
        self.0.params()
    }
    fn params_mut(&mut self) -> &mut [Param] {
        self.0.params_mut()
    }
}

/// Values at least 0.1 from zero, of both signs: no ±EPS nudge crosses a kink at 0.
fn away_from_zero(shape: &[usize], seed: u64) -> ArrayD<f32> {
    let mut rng = Rng::new(seed);
    ArrayD::from_shape_simple_fn(shape.to_vec(), || {
        let v = rng.uniform(0.1, 1.0);
        if rng.next_f32() < 0.5 {
            -v
        } else {
            v
        }
    })
}

#[test]
fn the_activations() {
    for json in [
        r#"{"type": "leaky_relu", "negative_slope": 0.1}"#,
        r#"{"type": "gelu"}"#,
        r#"{"type": "gelu", "approximate": "tanh"}"#,
        r#"{"type": "sigmoid"}"#,
        r#"{"type": "tanh"}"#,
    ] {
        let shape = [2, 3, 4];
        gradcheck(
            json,
            || Built::new(json, &shape),
            away_from_zero(&[3, 2, 3, 4], 20),
            24,
        );
    }
}

#[test]
fn convolutions_of_every_shape_and_padded_pooling() {
    let conv = r#"{"type": "conv2d", "out_channels": 3, "kernel_size": [2, 3], "padding": 1, "bias": false}"#;
    gradcheck(
        conv,
        || Built::new(conv, &[2, 5, 6]),
        random(&[2, 2, 5, 6], &mut Rng::new(22)),
        3 * 6 * 6,
    );
    for conv in [
        r#"{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 2, "dilation": 2}"#,
        r#"{"type": "conv2d", "out_channels": 4, "kernel_size": [3, 2], "groups": 2, "stride": 2}"#,
    ] {
        gradcheck(
            conv,
            || Built::new(conv, &[2, 5, 6]),
            random(&[2, 2, 5, 6], &mut Rng::new(25)),
            {
                let spec: LayerSpec = serde_json::from_str(conv).unwrap();
                spec.plan(&[2, 5, 6]).unwrap().output_shape.iter().product()
            },
        );
    }
    // Values 0.05 apart: a nudge never changes a window's maximum.
    let pool = r#"{"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1}"#;
    let mut v: Vec<f32> = (0..2 * 2 * 5 * 6).map(|i| i as f32 * 0.05).collect();
    Rng::new(24).shuffle(&mut v);
    let x = ArrayD::from_shape_vec(vec![2, 2, 5, 6], v).unwrap();
    gradcheck(pool, || Built::new(pool, &[2, 5, 6]), x, 2 * 3 * 3);
    let fc = r#"{"type": "linear", "out_features": 4, "bias": false}"#;
    gradcheck(
        fc,
        || Built::new(fc, &[9]),
        random(&[3, 9], &mut Rng::new(23)),
        4,
    );
}

#[test]
fn average_pooling() {
    for (json, out) in [
        (r#"{"type": "avg_pool2d", "kernel_size": 2}"#, 3 * 3 * 2),
        (
            r#"{"type": "avg_pool2d", "kernel_size": 3, "stride": 2, "padding": 1}"#,
            3 * 3 * 3,
        ),
        (r#"{"type": "adaptive_avg_pool2d", "output_size": 1}"#, 3),
        (
            r#"{"type": "adaptive_avg_pool2d", "output_size": 4}"#,
            3 * 4 * 4,
        ),
    ] {
        let shape = [3, 6, 5];
        gradcheck(
            json,
            || Built::new(json, &shape),
            random(&[2, 3, 6, 5], &mut Rng::new(21)),
            out,
        );
    }
}

#[test]
fn relu_away_from_its_kink() {
    let x = away_from_zero(&[3, 2, 4, 4], 9);
    gradcheck("relu", || Relu, x, 2 * 4 * 4);
}

#[test]
fn max_pool2d_with_distinct_values() {
    // Values 0.05 apart, shuffled: a ±EPS nudge never changes which one is the maximum.
    let mut v: Vec<f32> = (0..2 * 3 * 6 * 5).map(|i| i as f32 * 0.05).collect();
    Rng::new(10).shuffle(&mut v);
    for (label, k, out) in [
        ("max_pool2d", 2, 3 * 3 * 2),
        ("max_pool2d k3 s2", 3, 3 * 2 * 2),
    ] {
        assert_eq!(
            MaxPool2d::new(PoolWindow::new(&[3, 6, 5], k, 2, 0).unwrap())
                .output_shape()
                .iter()
                .product::<usize>(),
            out
        );
        gradcheck(
            label,
            || MaxPool2d::new(PoolWindow::new(&[3, 6, 5], k, 2, 0).unwrap()),
            ArrayD::from_shape_vec(vec![2, 3, 6, 5], v.clone()).unwrap(),
            out,
        );
    }
}

#[test]
fn flatten() {
    gradcheck(
        "flatten",
        || Flatten,
        random(&[2, 3, 4, 5], &mut Rng::new(11)),
        3 * 4 * 5,
    );
}

#[test]
fn dropout_in_training() {
    gradcheck(
        "dropout",
        || Dropout::new(0.3, Rng::new(12)),
        random(&[4, 50], &mut Rng::new(13)),
        50,
    );
}

#[test]
fn batch_norm2d_in_training() {
    let make = || {
        let mut bn = BatchNorm2d::new(3, 1e-5, 0.1);
        // Non-trivial γ and β, so their roles in the gradient are tested too.
        let mut rng = Rng::new(14);
        for p in bn.params_mut() {
            p.value.mapv_inplace(|v| v + rng.uniform(-0.5, 0.5));
        }
        bn
    };
    gradcheck(
        "batch_norm2d",
        make,
        random(&[4, 3, 3, 2], &mut Rng::new(15)),
        3 * 3 * 2,
    );
}

#[test]
fn softmax_cross_entropy_gradient() {
    let mut logits = random(&[6, 10], &mut Rng::new(16))
        .into_raw_vec_and_offset()
        .0;
    let labels = [3u8, 0, 9, 9, 1, 5];
    let mut scratch = vec![0.0; logits.len()];
    for smoothing in [0.0, 0.1] {
        let mut grad = vec![f32::NAN; logits.len()];
        let loss = softmax_cross_entropy(&logits, &labels, smoothing, &mut grad);
        // The loss as its definition says, in f64: −Σ target·log softmax, averaged over rows.
        let expected: f64 = logits
            .chunks(10)
            .zip(labels)
            .map(|(row, label)| {
                let log_sum = row.iter().map(|&v| (v as f64).exp()).sum::<f64>().ln();
                (0..10)
                    .map(|k| {
                        let target = (k == label as usize) as u8 as f64 * (1.0 - smoothing as f64)
                            + smoothing as f64 / 10.0;
                        -target * (row[k] as f64 - log_sum)
                    })
                    .sum::<f64>()
            })
            .sum::<f64>()
            / 6.0;
        assert!(
            (loss as f64 - expected).abs() < 1e-5,
            "ε {smoothing}: loss {loss}, by definition {expected}"
        );
        for i in 0..logits.len() {
            let orig = logits[i];
            logits[i] = orig + EPS;
            let plus = softmax_cross_entropy(&logits, &labels, smoothing, &mut scratch) as f64;
            logits[i] = orig - EPS;
            let minus = softmax_cross_entropy(&logits, &labels, smoothing, &mut scratch) as f64;
            logits[i] = orig;
            assert_close(
                &format!("ε {smoothing}: dlogits[{i}]"),
                grad[i],
                (plus - minus) / (2.0 * EPS as f64),
            );
        }
    }
    // Huge logits stay finite.
    let mut g = vec![0.0; 3];
    let loss = softmax_cross_entropy(&[1e30f32, -1e30, 0.0], &[1], 0.1, &mut g);
    assert!(
        loss.is_finite() && g.iter().all(|v| v.is_finite()),
        "{loss} {g:?}"
    );
}
