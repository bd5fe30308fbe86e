// @ts-check
// The arithmetic of one step of a convolution, for showing it: the output size, and the window's
// products at one output position. The output values themselves always come from the Rust core;
// this only explains them.

/** OH = ⌊(H + 2·P − K)/S⌋ + 1, or null when no window fits or the stride is not positive. */
export function outputSize(size, kernel, padding, stride) {
  const span = size + 2 * padding - kernel;
  if (!(stride >= 1) || span < 0) return null;
  return Math.floor(span / stride) + 1;
}

/**
 * The receptive field of output (oy, ox) for a one-output-channel conv: input (C,H,W) with
 * H = W = size, weight (1,C,K,K), bias a number or null. The window's top-left sits at padded cell (oy·S, ox·S), i.e. at
 * input (oy·S − P, ox·S − P); the tutorial's g[x,y] = Σ_k Σ_l f[x+k−m/2, y+l−n/2]·h[k,l] names
 * the window by its centre, input (top + ⌊K/2⌋, left + ⌊K/2⌋). Cells outside the input are the
 * zero padding.
 */
export function receptiveField({ channels, size, kernel, input, weight, bias, stride, padding }, oy, ox) {
  const top = oy * stride - padding;
  const left = ox * stride - padding;
  const terms = [];
  let sum = bias ?? 0;
  for (let c = 0; c < channels; c++) {
    for (let k = 0; k < kernel; k++) {
      for (let l = 0; l < kernel; l++) {
        const row = top + k;
        const col = left + l;
        const inside = row >= 0 && row < size && col >= 0 && col < size;
        const f = inside ? input[(c * size + row) * size + col] : 0;
        const h = weight[(c * kernel + k) * kernel + l];
        terms.push({ c, k, l, row, col, padding: !inside, f, h });
        sum += f * h;
      }
    }
  }
  const centre = [top + Math.floor(kernel / 2), left + Math.floor(kernel / 2)];
  return { terms, bias, sum, top, left, centre };
}
