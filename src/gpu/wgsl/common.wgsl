// Shared by every kernel (prepended by gpu/kernel.rs). Elementwise kernels run 256 invocations a
// workgroup on a 2-D grid of workgroups (a dimension holds at most 65,535), read as one line.
const WG: u32 = 256u;

fn line(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}
