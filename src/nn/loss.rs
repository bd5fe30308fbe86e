//! Softmax cross-entropy, fused: from logits straight to the mean loss and its gradient, with the
//! log-sum-exp shifted by the row maximum so large logits cannot overflow.

/// Writes the softmax of `row` into `out`; returns log Σ exp(row − max) and the max, so that
/// log p(i) = (logit_i − max) − log_sum.
fn softmax_into(row: &[f32], out: &mut [f32]) -> (f32, f32) {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0f32;
    for (o, &v) in out.iter_mut().zip(row) {
        *o = libm::expf(v - max);
        sum += *o;
    }
    out.iter_mut().for_each(|o| *o /= sum);
    (libm::logf(sum), max)
}

/// Mean cross-entropy of `logits` (N rows of K scores) against class indices `labels` (N), each
/// label smoothed by `smoothing` ε (PyTorch's `label_smoothing`: the target is 1 − ε on the label
/// plus ε/K on every class), and dL/dlogits = (softmax − target) / N written into `grad` (N·K).
pub fn softmax_cross_entropy(
    logits: &[f32],
    labels: &[u8],
    smoothing: f32,
    grad: &mut [f32],
) -> f32 {
    let n = labels.len();
    assert!(n > 0 && logits.len().is_multiple_of(n) && grad.len() == logits.len());
    let k = logits.len() / n;
    let spread = smoothing / k as f32;
    let mut total = 0.0f64;
    for ((row, g), &label) in logits
        .chunks_exact(k)
        .zip(grad.chunks_exact_mut(k))
        .zip(labels)
    {
        let label = label as usize;
        let (log_sum, max) = softmax_into(row, g);
        // −Σ target·log p, with log p(i) = (logit_i − max) − log_sum.
        let mut loss = log_sum - (row[label] - max);
        if smoothing > 0.0 {
            let mean_log_p = row.iter().map(|&v| v - max).sum::<f32>() / k as f32 - log_sum;
            loss = (1.0 - smoothing) * loss - smoothing * mean_log_p;
            g.iter_mut().for_each(|v| *v -= spread);
        }
        total += loss as f64;
        g[label] -= 1.0 - smoothing;
        g.iter_mut().for_each(|v| *v /= n as f32);
    }
    (total / n as f64) as f32
}

/// Softmax of each row of `logits` (rows of `classes` scores): the class probabilities.
pub fn softmax(logits: &[f32], classes: usize) -> Vec<f32> {
    let mut p = vec![0.0; logits.len()];
    for (row, out) in logits
        .chunks_exact(classes)
        .zip(p.chunks_exact_mut(classes))
    {
        softmax_into(row, out);
    }
    p
}
