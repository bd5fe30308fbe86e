// Batch normalisation (nn/batch_norm2d.rs): per-channel statistics, the normalisation, and its
// gradients. A channel's sums are one workgroup's. The statistics buffer holds the mean and
// 1/√(var + eps) per channel; γ, β and their gradients lie in the parameters' and gradients'
// arenas, the running statistics in the buffers' arena.
// Bindings: x, dy, params, s (read), out, out2 (read-write).
struct BatchNorm {
    channels: u32, spatial: u32, batch: u32, len: u32,
    param_off: u32, grad_off: u32, buf_off: u32, train: u32,
    eps: f32, momentum: f32,
}
@group(0) @binding(0) var<uniform> b: BatchNorm;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> params: array<f32>;
@group(0) @binding(4) var<storage, read> s: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> out2: array<f32>;

var<workgroup> part: array<vec2<f32>, 256>;

// The workgroup's sum of v over its invocations.
fn total(v: vec2<f32>, lid: u32) -> vec2<f32> {
    part[lid] = v;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
        if (lid < half) { part[lid] += part[lid + half]; }
        workgroupBarrier();
    }
    let t = part[0];
    workgroupBarrier();
    return t;
}

fn at(c: u32, j: u32) -> u32 {
    return ((j / b.spatial) * b.channels + c) * b.spatial + j % b.spatial;
}

// Training: the batch's mean and (biased) variance per channel into out; the running
// statistics (unbiased variance) updated in out2.
@compute @workgroup_size(256)
fn batch_stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = wid.x;
    let m = b.batch * b.spatial;
    var sum = 0.0;
    for (var j = lid.x; j < m; j += WG) { sum += x[at(c, j)]; }
    let mean = total(vec2<f32>(sum, 0.0), lid.x).x / f32(m);
    var dev = 0.0;
    for (var j = lid.x; j < m; j += WG) { let d = x[at(c, j)] - mean; dev += d * d; }
    let v = total(vec2<f32>(dev, 0.0), lid.x).x / f32(m);
    if (lid.x == 0u) {
        out[c] = mean;
        out[b.channels + c] = 1.0 / sqrt(v + b.eps);
        var unbias = 1.0;
        if (m > 1u) { unbias = f32(m) / f32(m - 1u); }
        let rm = b.buf_off + c;
        let rv = b.buf_off + b.channels + c;
        out2[rm] = (1.0 - b.momentum) * out2[rm] + b.momentum * mean;
        out2[rv] = (1.0 - b.momentum) * out2[rv] + b.momentum * v * unbias;
        if (c == 0u) { out2[b.buf_off + 2u * b.channels] += 1.0; }
    }
}

// Evaluating: the running statistics (in s) as the statistics.
@compute @workgroup_size(256)
fn running_stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = line(wid, nwg, lid);
    if (c >= b.channels) { return; }
    out[c] = s[b.buf_off + c];
    out[b.channels + c] = 1.0 / sqrt(s[b.buf_off + b.channels + c] + b.eps);
}

// y = γ·(x − μ)·inv_std + β
@compute @workgroup_size(256)
fn normalize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= b.len) { return; }
    let c = (i / b.spatial) % b.channels;
    let x_hat = (x[i] - s[c]) * s[b.channels + c];
    out[i] = params[b.param_off + c] * x_hat + params[b.param_off + b.channels + c];
}

// dγ = Σ dy·x̂, dβ = Σ dy per channel, into the gradients' arena (out).
@compute @workgroup_size(256)
fn param_grads(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = wid.x;
    let m = b.batch * b.spatial;
    var acc = vec2<f32>(0.0, 0.0);
    for (var j = lid.x; j < m; j += WG) {
        let i = at(c, j);
        let x_hat = (x[i] - s[c]) * s[b.channels + c];
        acc += vec2<f32>(dy[i] * x_hat, dy[i]);
    }
    let t = total(acc, lid.x);
    if (lid.x == 0u) {
        out[b.grad_off + c] = t.x;
        out[b.grad_off + b.channels + c] = t.y;
    }
}

// Training: dx = γ·inv_std/m · (m·dy − Σdy − x̂·Σdy·x̂); evaluating, the statistics are
// constants: dx = γ·inv_std·dy. The sums are read back from the gradients' arena (out2).
@compute @workgroup_size(256)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= b.len) { return; }
    let c = (i / b.spatial) % b.channels;
    let scale = params[b.param_off + c] * s[b.channels + c];
    if (b.train == 0u) {
        out[i] = scale * dy[i];
        return;
    }
    let m = f32(b.batch * b.spatial);
    let x_hat = (x[i] - s[c]) * s[b.channels + c];
    let sum_dy_xhat = out2[b.grad_off + c];
    let sum_dy = out2[b.grad_off + b.channels + c];
    out[i] = scale / m * (m * dy[i] - sum_dy - x_hat * sum_dy_xhat);
}
