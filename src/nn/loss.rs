//! Softmax cross-entropy, fused: from logits straight to the mean loss and its gradient, with the
//! log-sum-exp shifted by the row maximum so large logits cannot overflow.

use ndarray::ArrayD;

/// Replaces a row of logits by its softmax; returns log Σ exp(row − max) and the max, so that
/// log p(i) = (logit_i − max) − log_sum.
fn softmax_in_place(row: &mut [f32]) -> (f32, f32) {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0f32;
    for v in row.iter_mut() {
        *v = libm::expf(*v - max);
        sum += *v;
    }
    row.iter_mut().for_each(|v| *v /= sum);
    (libm::logf(sum), max)
}

/// Mean cross-entropy of `logits` (N,K) against class indices `labels` (N), and dL/dlogits
/// = (softmax − one_hot) / N.
pub fn softmax_cross_entropy(logits: &ArrayD<f32>, labels: &[u8]) -> (f32, ArrayD<f32>) {
    let (n, k) = (logits.shape()[0], logits.shape()[1]);
    assert_eq!(labels.len(), n, "one label per row of logits");
    let mut grad = logits.clone();
    let mut total = 0.0f64;
    let rows = grad
        .as_slice_mut()
        .expect("standard layout")
        .chunks_exact_mut(k);
    for ((row, &label), logit_row) in rows
        .zip(labels)
        .zip(logits.as_slice().expect("standard layout").chunks_exact(k))
    {
        let label = label as usize;
        let (log_sum, max) = softmax_in_place(row);
        total += (log_sum - (logit_row[label] - max)) as f64;
        row[label] -= 1.0;
        row.iter_mut().for_each(|v| *v /= n as f32);
    }
    ((total / n as f64) as f32, grad)
}

/// Softmax of each row of `logits` (N,K): the class probabilities.
pub fn softmax(logits: &ArrayD<f32>) -> ArrayD<f32> {
    let k = logits.shape()[1];
    let mut p = logits.clone();
    for row in p
        .as_slice_mut()
        .expect("standard layout")
        .chunks_exact_mut(k)
    {
        softmax_in_place(row);
    }
    p
}
