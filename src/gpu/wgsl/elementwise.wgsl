// The activations (nn/relu.rs, leaky_relu.rs, sigmoid.rs, tanh.rs, gelu.rs), forward and
// backward, and a product (dropout's mask). One invocation per value.
// Bindings: x, y, dy (read), out (read-write); a forward reads x and writes y into `out`, a
// backward reads x, y and dy and writes dx into `out`.
struct Elementwise {
    len: u32, slope: f32,
}
@group(0) @binding(0) var<uniform> e: Elementwise;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const FRAC_1_SQRT_2: f32 = 0.70710678;
const FRAC_1_SQRT_2PI: f32 = 0.3989423;
const SQRT_2_OVER_PI: f32 = 0.7978846;
const CUBIC: f32 = 0.044715;

// erf to within 1.5e-7 (Abramowitz and Stegun 7.1.26); WGSL has none.
fn erf(v: f32) -> f32 {
    let a = abs(v);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return sign(v) * (1.0 - poly * exp(-a * a));
}

// tanh that stays finite for large |v| (exp would overflow to ∞/∞).
fn tanh_safe(v: f32) -> f32 {
    let t = exp(-2.0 * min(abs(v), 20.0));
    return sign(v) * (1.0 - t) / (1.0 + t);
}

@compute @workgroup_size(256)
fn relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    // x ≤ 0 → 0, NaN stays NaN (nn/relu.rs).
    out[i] = select(x[i], 0.0, x[i] <= 0.0);
}

@compute @workgroup_size(256)
fn relu_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    out[i] = select(dy[i], 0.0, y[i] <= 0.0);
}

@compute @workgroup_size(256)
fn leaky_relu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    out[i] = select(e.slope * x[i], x[i], x[i] > 0.0);
}

@compute @workgroup_size(256)
fn leaky_relu_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    out[i] = dy[i] * select(e.slope, 1.0, x[i] > 0.0);
}

@compute @workgroup_size(256)
fn sigmoid(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    out[i] = 1.0 / (1.0 + exp(-x[i]));
}

@compute @workgroup_size(256)
fn sigmoid_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    out[i] = dy[i] * y[i] * (1.0 - y[i]);
}

@compute @workgroup_size(256)
fn tanh_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    out[i] = tanh_safe(x[i]);
}

@compute @workgroup_size(256)
fn tanh_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    out[i] = dy[i] * (1.0 - y[i] * y[i]);
}

@compute @workgroup_size(256)
fn gelu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    let v = x[i];
    out[i] = v * 0.5 * (1.0 + erf(v * FRAC_1_SQRT_2));
}

@compute @workgroup_size(256)
fn gelu_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    let v = x[i];
    let cdf = 0.5 * (1.0 + erf(v * FRAC_1_SQRT_2));
    let pdf = FRAC_1_SQRT_2PI * exp(-0.5 * v * v);
    out[i] = dy[i] * (cdf + v * pdf);
}

@compute @workgroup_size(256)
fn gelu_tanh(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    let v = x[i];
    out[i] = 0.5 * v * (1.0 + tanh_safe(SQRT_2_OVER_PI * (v + CUBIC * v * v * v)));
}

@compute @workgroup_size(256)
fn gelu_tanh_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    let v = x[i];
    let t = tanh_safe(SQRT_2_OVER_PI * (v + CUBIC * v * v * v));
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * v * v);
    out[i] = dy[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du);
}

// out = x · y: dropout's forward (x and its mask) and backward (dy and the mask).
@compute @workgroup_size(256)
fn multiply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= e.len) { return; }
    out[i] = x[i] * y[i];
}
