// @ts-check
// What the page can say about WebGPU before any worker uses it: whether this browser has it, the
// adapter's name, and whether that is a software fallback (SwiftShader and the like compute the
// right answers, more slowly than the CPU path). The training worker asks for its own device.

/** Resolves to {available: true, name, software} or {available: false, reason}. */
export async function probeGpu() {
  if (!('gpu' in navigator)) return { available: false, reason: 'this browser has no WebGPU' };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'WebGPU found no adapter here' };
    const info = adapter.info ?? {};
    const name = info.description || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'a WebGPU adapter';
    return { available: true, name, software: Boolean(info.isFallbackAdapter) };
  } catch (err) {
    return { available: false, reason: `WebGPU failed: ${err.message ?? err}` };
  }
}
