// C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`: C is M×N (row stride c_rs), A is M×K
// and B is K×N, each read through its own strides, so one kernel serves every transpose the
// layers need (ops/gemm.rs's role). 64×64 tiles of C per workgroup, 16 of K at a time in
// workgroup memory, 4×4 of C per invocation.
//
// A product with few tiles and a long K (a weight gradient sums over the whole batch) is split
// along K: workgroup z computes slice z (k_chunk long) into its own M×N block of C, c_slice
// apart, and `sum_slices` adds the blocks up — in a fixed order, so the result is repeatable.
struct Gemm {
    m: u32, n: u32, k: u32, accumulate: u32,
    a_off: u32, a_rs: u32, a_cs: u32, b_off: u32,
    b_rs: u32, b_cs: u32, c_off: u32, c_rs: u32,
    k_chunk: u32, c_slice: u32,
}
@group(0) @binding(0) var<uniform> p: Gemm;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const T: u32 = 64u;
const TK: u32 = 16u;
var<workgroup> ta: array<array<f32, 64>, 16>; // [k][m]
var<workgroup> tb: array<array<f32, 64>, 16>; // [k][n]

@compute @workgroup_size(16, 16)
fn gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wid.y * T;
    let col0 = wid.x * T;
    let t = lid.y * 16u + lid.x;
    let k_begin = wid.z * p.k_chunk;
    let k_end = min(k_begin + p.k_chunk, p.k);
    var acc: array<array<f32, 4>, 4>;
    for (var k0 = k_begin; k0 < k_end; k0 += TK) {
        for (var i = 0u; i < 4u; i++) {
            let e = t + i * WG;
            // Neighbouring invocations read neighbouring addresses: along K when it is
            // contiguous in memory, along M (or N) otherwise.
            var mm = e / TK;
            var ka = e % TK;
            if (p.a_cs != 1u) { mm = e % T; ka = e / T; }
            let gm = row0 + mm;
            let gka = k0 + ka;
            var va = 0.0;
            if (gm < p.m && gka < k_end) { va = a[p.a_off + gm * p.a_rs + gka * p.a_cs]; }
            ta[ka][mm] = va;
            var nn = e % T;
            var kb = e / T;
            if (p.b_rs == 1u) { nn = e / TK; kb = e % TK; }
            let gn = col0 + nn;
            let gkb = k0 + kb;
            var vb = 0.0;
            if (gn < p.n && gkb < k_end) { vb = b[p.b_off + gkb * p.b_rs + gn * p.b_cs]; }
            tb[kb][nn] = vb;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = ta[kk][lid.y + 16u * i];
                bv[i] = tb[kk][lid.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i][j] = fma(av[i], bv[j], acc[i][j]);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let gm = row0 + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let gn = col0 + lid.x + 16u * j;
            if (gm < p.m && gn < p.n) {
                let at = p.c_off + wid.z * p.c_slice + gm * p.c_rs + gn;
                var v = acc[i][j];
                if (p.accumulate != 0u) { v += c[at]; }
                c[at] = v;
            }
        }
    }
}

// C (+)= Σ_z partial_z: `a` holds the k slices' M×N blocks one after another.
@compute @workgroup_size(256)
fn sum_slices(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = line(wid, nwg, lid);
    if (i >= p.m * p.n) { return; }
    var sum = 0.0;
    for (var z = 0u; z < p.k; z++) { sum += a[z * p.m * p.n + i]; }
    let at = p.c_off + (i / p.n) * p.c_rs + i % p.n;
    if (p.accumulate != 0u) { sum += c[at]; }
    c[at] = sum;
}

// The same product without workgroup memory or barriers: invocation i computes the i-th 4×4
// block of C (row-major over the blocks, so no invocation idles when M or N is small), reading
// A's rows and B's columns straight from the buffers. Faster where the "GPU" is a CPU
// (lavapipe, SwiftShader: caches tile for it, and barriers are costly); the tiled kernel is the
// faster one on GPUs.
@compute @workgroup_size(256)
fn gemm_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>) {
    let blocks_n = (p.n + 3u) / 4u;
    let block = line(wid, nwg, lid);
    if (block >= blocks_n * ((p.m + 3u) / 4u)) { return; }
    let m0 = (block / blocks_n) * 4u;
    let n0 = (block % blocks_n) * 4u;
    let k_begin = wid.z * p.k_chunk;
    let k_end = min(k_begin + p.k_chunk, p.k);
    var rows: array<u32, 4>;
    var cols: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        rows[i] = p.a_off + min(m0 + i, p.m - 1u) * p.a_rs;
        cols[i] = p.b_off + min(n0 + i, p.n - 1u) * p.b_cs;
    }
    var acc: array<array<f32, 4>, 4>;
    for (var kk = k_begin; kk < k_end; kk++) {
        var av: array<f32, 4>;
        var bv: array<f32, 4>;
        for (var i = 0u; i < 4u; i++) {
            av[i] = a[rows[i] + kk * p.a_cs];
            bv[i] = b[cols[i] + kk * p.b_rs];
        }
        for (var i = 0u; i < 4u; i++) {
            for (var j = 0u; j < 4u; j++) {
                acc[i][j] = fma(av[i], bv[j], acc[i][j]);
            }
        }
    }
    for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
            if (m0 + i < p.m && n0 + j < p.n) {
                let at = p.c_off + wid.z * p.c_slice + (m0 + i) * p.c_rs + n0 + j;
                var v = acc[i][j];
                if (p.accumulate != 0u) { v += c[at]; }
                c[at] = v;
            }
        }
    }
}
