// @ts-check
// The pieces the layers panel is built from: a layer's block (heading, legend, grid), a grid of
// small canvases (one per feature map or kernel) that the keyboard can walk with the arrow keys,
// and the tiled image of a conv layer's kernels.

/** A layer's block: a heading "name · shape", a slot for its legend, and its body. */
export function layerBlock(heading, note = '') {
  const section = document.createElement('section');
  section.className = 'layer-block';
  const head = document.createElement('div');
  head.className = 'layer-head';
  const h = document.createElement('h3');
  h.textContent = heading;
  const legendSlot = document.createElement('span');
  legendSlot.className = 'legend-slot';
  head.append(h, legendSlot);
  section.append(head);
  if (note) {
    const p = document.createElement('p');
    p.className = 'hint layer-note';
    p.textContent = note;
    section.append(p);
  }
  return { section, legendSlot };
}

/**
 * A grid of `count` canvases, each width×height pixels shown `cssSize` px wide; `label(i)` names
 * each for screen readers. One tab stop for the whole grid: arrow keys move between maps.
 */
export function mapGrid({ testid, count, width, height, cssSize, label, strip = false }) {
  const grid = document.createElement('div');
  grid.className = strip ? 'fmap-grid strip' : 'fmap-grid';
  grid.dataset.testid = testid;
  const canvases = Array.from({ length: count }, (_, i) => {
    const c = document.createElement('canvas');
    c.className = 'fmap';
    c.width = width;
    c.height = height;
    if (!strip) c.style.width = `${cssSize}px`;
    c.tabIndex = i === 0 ? 0 : -1;
    c.setAttribute('role', 'button');
    c.setAttribute('aria-label', `${label(i)}: press Enter to enlarge`);
    c.title = label(i);
    return c;
  });
  grid.append(...canvases);
  grid.addEventListener('keydown', (e) => {
    const i = canvases.indexOf(/** @type {HTMLCanvasElement} */ (e.target));
    if (i < 0) return;
    const to = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: count - 1 }[e.key];
    if (to === undefined || to < 0 || to >= count) return;
    e.preventDefault();
    canvases[i].tabIndex = -1;
    canvases[to].tabIndex = 0;
    canvases[to].focus();
  });
  return { grid, canvases };
}

/** Tick labels under a short strip (fc2's ten logits: one per digit). */
export function stripTicks(count) {
  const ticks = document.createElement('div');
  ticks.className = 'strip-ticks';
  ticks.style.gridTemplateColumns = `repeat(${count}, 1fr)`;
  for (let i = 0; i < count; i++) {
    const t = document.createElement('span');
    t.textContent = String(i);
    ticks.append(t);
  }
  return ticks;
}

/**
 * A conv weight (out, in, k, k) as one image: a row per output channel, a column per input
 * channel, each tile a k×k kernel, NaN (transparent) in the one-pixel gaps between tiles.
 * Returns {data, width, height}.
 */
export function tileKernels(weights, [out, inp, kh, kw]) {
  const width = inp * (kw + 1) - 1, height = out * (kh + 1) - 1;
  const data = new Float32Array(width * height).fill(NaN);
  for (let o = 0; o < out; o++) {
    for (let c = 0; c < inp; c++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          data[(o * (kh + 1) + y) * width + c * (kw + 1) + x] = weights[((o * inp + c) * kh + y) * kw + x];
        }
      }
    }
  }
  return { data, width, height };
}
