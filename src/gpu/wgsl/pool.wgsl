// Pooling (nn/max_pool2d.rs, avg_pool2d.rs, adaptive_avg_pool2d.rs), forward and backward. A
// backward pass is a gather: one invocation per input value sums what the windows holding it
// pass back, so no two invocations write the same place.
// Bindings: src, arg (read; arg holds u32 indices), dst, arg_out (read-write).
struct Pool {
    planes: u32, height: u32, width: u32, out_h: u32,
    out_w: u32, kernel: u32, stride: u32, padding: u32,
    // 1: adaptive windows (⌊o·size/out⌋ to ⌈(o+1)·size/out⌉), 0: kernel, stride, padding.
    adaptive: u32, len: u32,
}
@group(0) @binding(0) var<uniform> q: Pool;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> arg: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read_write> arg_out: array<u32>;

// The inputs [start, end) of output o along a side of `size` (`out` outputs), the padding left
// out (nn/pool_window.rs's `span`).
fn window(o: u32, size: u32, out: u32) -> vec2<u32> {
    if (q.adaptive != 0u) {
        return vec2<u32>(o * size / out, ((o + 1u) * size + out - 1u) / out);
    }
    let start = o * q.stride;
    return vec2<u32>(max(start, q.padding) - q.padding, min(start + q.kernel - q.padding, size));
}

// The outputs [first, last] along a side whose windows may hold input r (checked by `window`).
fn holders(r: u32, size: u32, out: u32) -> vec2<u32> {
    if (q.adaptive != 0u) {
        return vec2<u32>(r * out / size, min(((r + 1u) * out - 1u) / size, out - 1u));
    }
    let at = r + q.padding;
    var first = 0u;
    if (at >= q.kernel) { first = (at - q.kernel) / q.stride + 1u; }
    return vec2<u32>(first, min(at / q.stride, out - 1u));
}

fn divisor(rows: vec2<u32>, cols: vec2<u32>) -> f32 {
    if (q.adaptive != 0u) { return f32((rows.y - rows.x) * (cols.y - cols.x)); }
    // The padding's zeros count (PyTorch's count_include_pad).
    return f32(q.kernel * q.kernel);
}

// y = the window's maximum, the first in row-major order on ties; arg_out = its flat index.
@compute @workgroup_size(256)
fn max_pool(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= q.len) { return; }
    let ox = i % q.out_w;
    let oy = (i / q.out_w) % q.out_h;
    let plane = i / (q.out_w * q.out_h);
    let base = plane * q.height * q.width;
    let rows = window(oy, q.height, q.out_h);
    let cols = window(ox, q.width, q.out_w);
    var at = base + rows.x * q.width + cols.x;
    var best = src[at];
    for (var r = rows.x; r < rows.y; r++) {
        for (var c = cols.x; c < cols.y; c++) {
            let j = base + r * q.width + c;
            let v = src[j];
            if (v > best || v != v) { best = v; at = j; }
        }
    }
    dst[i] = best;
    arg_out[i] = at;
}

// dx[j] = Σ dy[o] over the outputs o whose maximum was input j.
@compute @workgroup_size(256)
fn max_pool_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= q.len) { return; }
    let c = i % q.width;
    let r = (i / q.width) % q.height;
    let plane = i / (q.width * q.height);
    let rows = holders(r, q.height, q.out_h);
    let cols = holders(c, q.width, q.out_w);
    var sum = 0.0;
    for (var oy = rows.x; oy <= rows.y; oy++) {
        for (var ox = cols.x; ox <= cols.y; ox++) {
            let o = (plane * q.out_h + oy) * q.out_w + ox;
            if (arg[o] == i) { sum += src[o]; }
        }
    }
    dst[i] = sum;
}

@compute @workgroup_size(256)
fn avg_pool(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= q.len) { return; }
    let ox = i % q.out_w;
    let oy = (i / q.out_w) % q.out_h;
    let base = (i / (q.out_w * q.out_h)) * q.height * q.width;
    let rows = window(oy, q.height, q.out_h);
    let cols = window(ox, q.width, q.out_w);
    var sum = 0.0;
    for (var r = rows.x; r < rows.y; r++) {
        for (var c = cols.x; c < cols.y; c++) {
            sum += src[base + r * q.width + c];
        }
    }
    dst[i] = sum / divisor(rows, cols);
}

// dx[j] = Σ dy[o] / |window o| over the windows o that hold input j.
@compute @workgroup_size(256)
fn avg_pool_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= q.len) { return; }
    let c = i % q.width;
    let r = (i / q.width) % q.height;
    let plane = i / (q.width * q.height);
    let rows = holders(r, q.height, q.out_h);
    let cols = holders(c, q.width, q.out_w);
    var sum = 0.0;
    for (var oy = rows.x; oy <= rows.y; oy++) {
        let wr = window(oy, q.height, q.out_h);
        if (r < wr.x || r >= wr.y) { continue; }
        for (var ox = cols.x; ox <= cols.y; ox++) {
            let wc = window(ox, q.width, q.out_w);
            if (c < wc.x || c >= wc.y) { continue; }
            sum += src[(plane * q.out_h + oy) * q.out_w + ox] / divisor(wr, wc);
        }
    }
    dst[i] = sum;
}
