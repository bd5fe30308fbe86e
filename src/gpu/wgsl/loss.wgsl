// Softmax cross-entropy, fused (nn/loss.rs): per row the loss, whether the top score is the
// label, and dL/dlogits = (softmax − target)/N, the target the label smoothed by ε; then their
// batch totals. And the seed of a saliency map.
// Bindings: logits, labels (read; u32 labels), dlogits, rows (read-write). rows holds
// (loss, correct) per row, then the mean loss and the number correct.
struct Loss {
    rows: u32, classes: u32, smoothing: f32,
}
@group(0) @binding(0) var<uniform> l: Loss;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> rows: array<f32>;

// The first class with the highest score in the row at base (train::argmax).
fn top_class(base: u32) -> u32 {
    var top = 0u;
    for (var k = 1u; k < l.classes; k++) {
        if (logits[base + k] > logits[base + top]) { top = k; }
    }
    return top;
}

@compute @workgroup_size(256)
fn softmax_cross_entropy(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r = line(wid, nwg, lid);
    if (r >= l.rows) { return; }
    let base = r * l.classes;
    let top = top_class(base);
    let max_v = logits[base + top];
    var sum = 0.0;
    var shifted = 0.0; // Σ (logit − max), for the smoothed target's share of the loss
    for (var k = 0u; k < l.classes; k++) {
        sum += exp(logits[base + k] - max_v);
        shifted += logits[base + k] - max_v;
    }
    let label = labels[r];
    let n = f32(l.rows);
    let eps = l.smoothing;
    let spread = eps / f32(l.classes);
    for (var k = 0u; k < l.classes; k++) {
        var g = exp(logits[base + k] - max_v) / sum - spread;
        if (k == label) { g -= 1.0 - eps; }
        dlogits[base + k] = g / n;
    }
    var loss = log(sum) - (logits[base + label] - max_v);
    if (eps > 0.0) { loss = (1.0 - eps) * loss - eps * (shifted / f32(l.classes) - log(sum)); }
    rows[2u * r] = loss;
    rows[2u * r + 1u] = select(0.0, 1.0, top == label);
}

// Explaining (saliency): dlogits = one_hot(the top class) per row, so that the backward pass
// gives the gradient of the top score.
@compute @workgroup_size(256)
fn top_one_hot(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r = line(wid, nwg, lid);
    if (r >= l.rows) { return; }
    let base = r * l.classes;
    let top = top_class(base);
    for (var k = 0u; k < l.classes; k++) { dlogits[base + k] = select(0.0, 1.0, k == top); }
}

var<workgroup> part: array<vec2<f32>, 256>;

// rows[2N] = the mean loss, rows[2N + 1] = the number correct: one workgroup.
@compute @workgroup_size(256)
fn totals(@builtin(local_invocation_id) lid: vec3<u32>) {
    var acc = vec2<f32>(0.0, 0.0);
    for (var r = lid.x; r < l.rows; r += WG) { acc += vec2<f32>(rows[2u * r], rows[2u * r + 1u]); }
    part[lid.x] = acc;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
        if (lid.x < half) { part[lid.x] += part[lid.x + half]; }
        workgroupBarrier();
    }
    if (lid.x == 0u) {
        rows[2u * l.rows] = part[0].x / f32(l.rows);
        rows[2u * l.rows + 1u] = part[0].y;
    }
}
