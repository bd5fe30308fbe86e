// The optimisers (optim/adam.rs, optim/sgd.rs), over every parameter at once: the parameters,
// their gradients and the optimiser's state are each one arena.
// Bindings: grads, rows (read), params, m, v, halt (read-write); SGD keeps its momentum in m.
// A step whose loss (rows[loss_at], the loss kernel's total) is not finite changes nothing, as
// on the CPU path, and neither does any step after it (the run has diverged: the host stops it
// when it next reads the losses) — without the host waiting to read each loss first.
struct Optim {
    len: u32, lr: f32, beta1: f32, beta2: f32,
    eps: f32, weight_decay: f32, step_size: f32, bc2_sqrt: f32,
    momentum: f32, nesterov: u32, started: u32, loss_at: u32,
}
@group(0) @binding(0) var<uniform> o: Optim;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<f32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read_write> halt: array<f32>;

// By its bits: shaders may assume that no value is NaN or infinite, and compare accordingly.
fn loss_is_finite() -> bool {
    return (bitcast<u32>(rows[o.loss_at]) & 0x7f800000u) != 0x7f800000u;
}

// Runs before each update, alone: halt[0] becomes 1 at the first loss that is not finite.
@compute @workgroup_size(1)
fn guard() {
    if (!loss_is_finite()) { halt[0] = 1.0; }
}

// PyTorch's Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − step_size·m/(√v/√(1−β₂ᵗ) + ε),
// step_size = lr/(1−β₁ᵗ), computed on the host in double precision as PyTorch does.
@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= o.len || halt[0] != 0.0) { return; }
    let g = grads[i] + o.weight_decay * params[i];
    m[i] += (g - m[i]) * (1.0 - o.beta1);
    v[i] = v[i] * o.beta2 + (1.0 - o.beta2) * g * g;
    params[i] -= o.step_size * m[i] / (sqrt(v[i]) / o.bc2_sqrt + o.eps);
}

// PyTorch's SGD with momentum (dampening 0) and Nesterov.
@compute @workgroup_size(256)
fn sgd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= o.len || halt[0] != 0.0) { return; }
    let g = grads[i] + o.weight_decay * params[i];
    var d = g;
    if (o.momentum != 0.0) {
        if (o.started != 0u) { m[i] = o.momentum * m[i] + g; } else { m[i] = g; }
        d = select(m[i], g + o.momentum * m[i], o.nesterov != 0u);
    }
    params[i] -= o.lr * d;
}
