// A convolution's data movement (ops/im2col.rs's role), on the layout the GPU path keeps: the
// columns are one (C·KH·KW) × (N·OH·OW) matrix for the whole batch, so that the forward pass,
// the weight gradient and the input gradient are each one GEMM per group.
// Bindings: src (read), dst (read-write).
struct Geometry {
    channels: u32, height: u32, width: u32, kernel_h: u32,
    kernel_w: u32, stride: u32, padding: u32, dilation: u32,
    out_h: u32, out_w: u32, batch: u32, len: u32,
    // to_ncp/to_cp and the bias kernels: planes (C) and values per plane (P); where the bias
    // (or its gradient) lies in its arena.
    planes: u32, plane: u32, accumulate: u32, offset: u32,
}
@group(0) @binding(0) var<uniform> g: Geometry;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// cols[(c·KH + kh)·KW + kw, (n·OH + oh)·OW + ow] = x[n, c, oh·s − p + kh·d, ow·s − p + kw·d] (0 outside)
@compute @workgroup_size(256)
fn im2col(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= g.len) { return; }
    let np = g.batch * g.out_h * g.out_w;
    let row = i / np;
    let col = i % np;
    let kw = row % g.kernel_w;
    let kh = (row / g.kernel_w) % g.kernel_h;
    let c = row / (g.kernel_w * g.kernel_h);
    let ow = col % g.out_w;
    let oh = (col / g.out_w) % g.out_h;
    let n = col / (g.out_w * g.out_h);
    let ih = i32(oh * g.stride + kh * g.dilation) - i32(g.padding);
    let iw = i32(ow * g.stride + kw * g.dilation) - i32(g.padding);
    var v = 0.0;
    if (ih >= 0 && iw >= 0 && u32(ih) < g.height && u32(iw) < g.width) {
        v = src[((n * g.channels + c) * g.height + u32(ih)) * g.width + u32(iw)];
    }
    dst[i] = v;
}

// dx[n, c, ih, iw] = Σ over the taps that read it of dcols: a gather, one invocation per input
// value, so no two invocations write the same place.
@compute @workgroup_size(256)
fn col2im(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= g.len) { return; }
    let iw = i % g.width;
    let ih = (i / g.width) % g.height;
    let c = (i / (g.width * g.height)) % g.channels;
    let n = i / (g.width * g.height * g.channels);
    let np = g.batch * g.out_h * g.out_w;
    var sum = 0.0;
    for (var kh = 0u; kh < g.kernel_h; kh++) {
        let th = i32(ih + g.padding) - i32(kh * g.dilation);
        if (th < 0 || u32(th) % g.stride != 0u) { continue; }
        let oh = u32(th) / g.stride;
        if (oh >= g.out_h) { continue; }
        for (var kw = 0u; kw < g.kernel_w; kw++) {
            let tw = i32(iw + g.padding) - i32(kw * g.dilation);
            if (tw < 0 || u32(tw) % g.stride != 0u) { continue; }
            let ow = u32(tw) / g.stride;
            if (ow >= g.out_w) { continue; }
            let row = (c * g.kernel_h + kh) * g.kernel_w + kw;
            sum += src[row * np + (n * g.out_h + oh) * g.out_w + ow];
        }
    }
    dst[i] = sum;
}

// (C, N·P) → (N, C, P): the GEMM's output in the network's NCHW layout.
@compute @workgroup_size(256)
fn to_ncp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= g.len) { return; }
    let p = i % g.plane;
    let c = (i / g.plane) % g.planes;
    let n = i / (g.plane * g.planes);
    dst[i] = src[c * (g.batch * g.plane) + n * g.plane + p];
}

// (N, C, P) → (C, N·P): dL/dy in the GEMM's layout.
@compute @workgroup_size(256)
fn to_cp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= g.len) { return; }
    let np = g.batch * g.plane;
    let c = i / np;
    let n = (i % np) / g.plane;
    let p = i % g.plane;
    dst[i] = src[(n * g.planes + c) * g.plane + p];
}

// y[n, c, p] += b[c]: `src` is the parameters' arena, `len` the output's size.
@compute @workgroup_size(256)
fn add_bias(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= g.len) { return; }
    dst[i] += src[g.offset + (i / g.plane) % g.planes];
}

var<workgroup> partial: array<f32, 256>;

// db[c] (+)= Σ_{n,p} dy[n, c, p]: one workgroup per channel c; dst is the gradients' arena.
@compute @workgroup_size(256)
fn channel_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = wid.x;
    let count = g.batch * g.plane;
    var sum = 0.0;
    for (var j = lid.x; j < count; j += WG) {
        let n = j / g.plane;
        sum += src[(n * g.planes + c) * g.plane + j % g.plane];
    }
    partial[lid.x] = sum;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
        if (lid.x < half) { partial[lid.x] += partial[lid.x + half]; }
        workgroupBarrier();
    }
    if (lid.x == 0u) {
        var v = partial[0];
        if (g.accumulate != 0u) { v += dst[g.offset + c]; }
        dst[g.offset + c] = v;
    }
}
