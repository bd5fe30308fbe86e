// @ts-check
// Colour maps for feature maps, kernels and saliency, and the legend that says what a colour
// means. Signed values (conv outputs, kernels) get a diverging map centred on zero, so the sign
// reads at a glance; non-negative ones (ReLU, pooling) a sequential one.

const STOPS = {
  // viridis: perceptually uniform, readable in grey and by most colour-blind viewers.
  sequential: ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'],
  // ColorBrewer RdBu reversed: blue below zero, white at zero, red above.
  diverging: ['#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7', '#fddbc7', '#f4a582', '#d6604d', '#b2182b'],
  // inferno: black for "no influence", so a saliency map reads like light on the digit.
  heat: ['#000004', '#320a5e', '#781c6d', '#bc3754', '#ed6925', '#fbb61a', '#fcffa4'],
  gray: ['#000000', '#ffffff'],
};

/** 256-entry RGB lookup tables, interpolated between the stops. */
export const COLORMAPS = Object.fromEntries(Object.entries(STOPS).map(([name, stops]) => {
  const rgb = stops.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (rgb.length - 1);
    const k = Math.min(rgb.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = rgb[k][c] + f * (rgb[k + 1][c] - rgb[k][c]);
  }
  return [name, lut];
}));

/** [min, max] of the finite values among `count` of `data` from `offset`. */
export function valueRange(data, offset = 0, count = data.length - offset) {
  let lo = Infinity, hi = -Infinity;
  for (let i = offset; i < offset + count; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/**
 * The scale a whole layer shares, so its maps can be compared: symmetric about zero on the
 * diverging map when `signed`, from zero to the largest value on the sequential map otherwise.
 */
export function layerScale(data, signed) {
  const [lo, hi] = valueRange(data);
  if (signed || lo < 0) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return { cmap: 'diverging', lo: -m, hi: m, min: lo, max: hi };
  }
  return { cmap: 'sequential', lo: 0, hi: hi || 1, min: lo, max: hi };
}

/** Paints width×height values of `data` from `offset` into `canvas` (resized to fit), one pixel each. */
export function paintMap(canvas, data, { offset = 0, width, height, cmap, lo, hi }) {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const lut = COLORMAPS[cmap];
  const img = new ImageData(width, height);
  const span = hi - lo || 1;
  for (let i = 0; i < width * height; i++) {
    const v = data[offset + i];
    if (!Number.isFinite(v)) continue; // left transparent: gaps between tiles, or a broken model
    const k = 3 * Math.max(0, Math.min(255, Math.round((255 * (v - lo)) / span)));
    img.data[4 * i] = lut[k];
    img.data[4 * i + 1] = lut[k + 1];
    img.data[4 * i + 2] = lut[k + 2];
    img.data[4 * i + 3] = 255;
  }
  canvas.getContext('2d').putImageData(img, 0, 0);
}

/**
 * A dataset's image as it is: C×H×W values (1 channel gray, 3 RGB) from `lo` (black) to `hi`
 * (full), `shape` the core's {channels, height, width}.
 */
export function paintImage(canvas, data, shape, { lo = 0, hi = 255 } = {}) {
  const { channels, height, width } = shape;
  if (channels === 1) return paintMap(canvas, data, { width, height, cmap: 'gray', lo, hi });
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const img = new ImageData(width, height);
  const plane = width * height;
  const span = hi - lo || 1;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) img.data[4 * i + c] = Math.round((255 * (data[c * plane + i] - lo)) / span);
    img.data[4 * i + 3] = 255;
  }
  canvas.getContext('2d').putImageData(img, 0, 0);
}

/** A dataset's image as it is (paintImage), in a figure under `caption`; `title` on the caption. */
export function imageFigure(pixels, shape, caption, title = '') {
  const figure = document.createElement('figure');
  const canvas = document.createElement('canvas');
  paintImage(canvas, pixels, shape);
  const text = Object.assign(document.createElement('figcaption'), { textContent: caption });
  if (title) text.title = title;
  figure.append(canvas, text);
  return figure;
}

export const formatValue = (v) => (Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2)).replace('-', '−');

/** A legend: the colour bar between its two end values. Returns the element to place. */
export function legend({ cmap, lo, hi, min, max }) {
  const box = document.createElement('span');
  box.className = 'legend';
  const bar = document.createElement('canvas');
  bar.width = 256;
  bar.height = 1;
  paintMap(bar, Float32Array.from({ length: 256 }, (_, i) => i / 255), { width: 256, height: 1, cmap, lo: 0, hi: 1 });
  bar.setAttribute('aria-hidden', 'true');
  const low = document.createElement('span');
  const high = document.createElement('span');
  low.textContent = formatValue(lo);
  high.textContent = formatValue(hi);
  box.append(low, bar, high);
  let label = `colour scale from ${formatValue(lo)} to ${formatValue(hi)}`;
  if (min !== undefined && (formatValue(min) !== formatValue(lo) || formatValue(max) !== formatValue(hi))) {
    // The scale is symmetric or starts at zero; say what the values themselves span.
    const span = document.createElement('span');
    span.className = 'legend-range';
    span.textContent = `values ${formatValue(min)} to ${formatValue(max)}`;
    box.append(span);
    label += `; ${span.textContent}`;
  }
  box.setAttribute('aria-label', label);
  box.setAttribute('role', 'img');
  return box;
}
