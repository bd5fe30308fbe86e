// @ts-check
// A drawing made the way MNIST's digits were: "size normalized to fit in a 20×20 pixel box while
// preserving their aspect ratio" (anti-aliased), then "centered in a 28×28 image by computing the
// center of mass of the pixels, and translating the image so as to position this point at the
// center". The network learnt digits made like this; a drawing prepared otherwise (too small,
// off-centre) is read much worse. Pure functions: no DOM, so tests can call them directly.

export const SIDE = 28;
export const BOX = 20;
/** Where MNIST puts the centre of mass, in pixel-index coordinates (the test set's mean is 14.0). */
export const CENTRE = SIDE / 2;

/**
 * The bounding box of the ink (values above `threshold`), as {x0, y0, x1, y1} with x1, y1
 * exclusive, or null when there is none. `gray` is width×height, row-major, values in [0, 1].
 */
export function inkBox(gray, width, height, threshold = 0.05) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (gray[row + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** The centre of mass {x, y} of an image, in pixel-index coordinates; null for an empty one. */
export function centreOfMass(img, width, height) {
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = img[y * width + x];
      mass += v; mx += v * x; my += v * y;
    }
  }
  return mass > 0 ? { x: mx / mass, y: my / mass } : null;
}

/**
 * For each of `m` target cells, the source cells of `n` it covers and their share of it: an
 * area average, which anti-aliases when shrinking and keeps full ink at 1.
 */
function areaWeights(n, m) {
  const ratio = n / m;
  return Array.from({ length: m }, (_, j) => {
    const a = j * ratio, b = (j + 1) * ratio;
    const taps = [];
    for (let i = Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      if (overlap > 1e-9) taps.push([i, overlap / ratio]);
    }
    return taps;
  });
}

/** The box of `gray` resampled to tw×th by area averaging (separable: rows, then columns). */
function resizeArea(gray, width, box, tw, th) {
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const wx = areaWeights(bw, tw), wy = areaWeights(bh, th);
  const rows = new Float32Array(bh * tw);
  for (let y = 0; y < bh; y++) {
    const src = (box.y0 + y) * width + box.x0;
    for (let j = 0; j < tw; j++) {
      let s = 0;
      for (const [i, w] of wx[j]) s += w * gray[src + i];
      rows[y * tw + j] = s;
    }
  }
  const out = new Float32Array(tw * th);
  for (let k = 0; k < th; k++) {
    for (const [i, w] of wy[k]) {
      for (let j = 0; j < tw; j++) out[k * tw + j] += w * rows[i * tw + j];
    }
  }
  return out;
}

/**
 * A width×height drawing (values in [0, 1], ink high) as the network's input: a 28×28
 * Float32Array(784) in [0, 1], the ink's larger side 20 px, its centre of mass at (14, 14) to
 * within half a pixel (MNIST moved digits by whole pixels). All zeros when there is no ink.
 */
export function toMnist(gray, width, height) {
  const out = new Float32Array(SIDE * SIDE);
  const box = inkBox(gray, width, height);
  if (!box) return out;
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.min(BOX, Math.round(bw * scale)));
  const th = Math.max(1, Math.min(BOX, Math.round(bh * scale)));
  const small = resizeArea(gray, width, box, tw, th);
  const com = centreOfMass(small, tw, th) ?? { x: tw / 2, y: th / 2 };
  const dx = Math.round(CENTRE - com.x), dy = Math.round(CENTRE - com.y);
  for (let y = 0; y < th; y++) {
    const Y = y + dy;
    if (Y < 0 || Y >= SIDE) continue;
    for (let x = 0; x < tw; x++) {
      const X = x + dx;
      if (X >= 0 && X < SIDE) out[Y * SIDE + X] = Math.min(1, Math.max(0, small[y * tw + x]));
    }
  }
  return out;
}
