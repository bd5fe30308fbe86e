// @ts-check
// The layers panel: the tutorial's show_Features, live. For the input the Draw panel last showed
// (test image 9987, the tutorial's imgs[3], until then) it draws every layer's feature maps, the
// conv kernels and the saliency map, and draws them again whenever the model changes.
import { paintImage, paintMap, layerScale, valueRange, legend, formatValue } from '../colormap.js';
import { layerBlock, mapGrid, stripTicks, tileKernels } from '../feature-maps.js';
import { latestOnly } from '../latest.js';
import { showModelStory } from '../model-story.js';
import { TUTORIAL_EXAMPLE } from './draw.js';
import { byTestId, statusLine } from '../panel.js';
/** @import { App, AppEvents } from '../app.js' */

/** While training, the maps follow the model at most this often. */
const PROGRESS_REFRESH_MS = 2000;

/** @param {App} app */
export function setupLayers(panel, app) {
  const $ = byTestId(panel);
  const status = $('layers-status');
  const stack = $('layers-stack');
  const kernelsBox = $('layers-kernels');
  const inputCanvas = $('layers-input');
  const saliencyCanvas = $('saliency');
  const dialog = $('layers-dialog');
  const dialogCanvas = $('layers-dialog-canvas');

  /** @type {AppEvents['input'] | null} */
  let input = null;
  /** @type {string[] | null} the dataset's class names, once it is known */
  let classes = null;
  let datasetName = 'MNIST';
  let ready = false;
  let builtKey = '';
  let blocks = []; // per layer and kernel tensor: {canvases, legendSlot, name}
  let renders = 0;
  let lastProgress = 0;
  let openCanvas = null;
  /** What each clickable canvas shows, for the enlarged view: {title, data, offset, width, height, scale}. */
  const shown = new Map();

  const say = statusLine(status);

  const inspect = latestOnly(async (asked) => {
    try {
      const result = await app.request('inspect', { pixels: asked.pixels });
      render(result, asked);
      say('');
    } catch (err) {
      say(`Could not look inside the network: ${err.message}`, 'error');
    }
  });
  const refresh = () => { if (ready && input) inspect(input); };

  function build(layers, kernels) {
    shown.clear();
    const built = [];
    stack.replaceChildren(...layers.map((l) => {
      const isImage = l.shape.length === 3;
      const [c, h, w] = isImage ? l.shape : [1, 1, l.shape.reduce((a, b) => a * b, 1)];
      const { section, legendSlot } = layerBlock(`${l.name} · ${l.shape.join('×')}`);
      const { grid, canvases } = mapGrid({
        testid: `layer-${l.name}`, count: c, width: w, height: h, strip: !isImage,
        cssSize: Math.max(35, Math.min(56, 3 * h)),
        label: (i) => (isImage ? `${l.name} feature map ${i + 1} of ${c}` : `${l.name}: ${w} values`),
      });
      section.append(grid);
      if (!isImage && w <= 16) section.append(stripTicks(w));
      built.push({ name: l.name, canvases, legendSlot });
      return section;
    }));
    kernelsBox.replaceChildren(...kernels.map((k) => {
      const [out, inp, kh, kw] = k.shape;
      const single = inp === 1;
      const note = single
        ? `${out} kernels of ${kh}×${kw}, one per feature map of ${k.name}.`
        : `${out}×${inp} kernels of ${kh}×${kw}: one row per output channel (${out}), one column per input channel (${inp}).`;
      const { section, legendSlot } = layerBlock(`${k.name}.weight · ${k.shape.join('×')}`, note);
      // Null for single kernels, which read none of it.
      const tiled = /** @type {ReturnType<typeof tileKernels>} */ (single ? null : tileKernels(k.data, k.shape));
      const { grid, canvases } = mapGrid({
        testid: `kernels-${k.name}`, count: single ? out : 1,
        width: single ? kw : tiled.width, height: single ? kh : tiled.height,
        cssSize: single ? 36 : 3 * tiled.width,
        label: (i) => (single ? `${k.name} kernel ${i + 1} of ${out}` : `${k.name} kernels`),
      });
      section.append(grid);
      built.push({ name: `${k.name}.weight`, canvases, legendSlot });
      return section;
    }));
    blocks = built;
  }

  function render({ layers, kernels, saliency, probabilities }, asked) {
    const key = [...layers, ...kernels].map((t) => `${t.name}:${t.shape.join('x')}`).join('|');
    if (key !== builtKey) {
      build(layers, kernels);
      builtKey = key;
    }
    const { channels, height, width } = asked.shape;
    const dims = `${channels}×${height}×${width}`;
    if (channels === 1) {
      show(inputCanvas, `input · ${dims}`, asked.pixels, 0, width, height, { cmap: 'gray', lo: 0, hi: 1 });
    } else {
      // In its colours; the enlarged view has no colour scale for it, so it is not offered.
      paintImage(inputCanvas, asked.pixels, asked.shape, { lo: 0, hi: 1 });
      shown.delete(inputCanvas);
    }
    // One map whatever the channels: each pixel's strongest.
    const plane = width * height;
    const strongest = channels === 1 ? saliency
      : Float32Array.from({ length: plane }, (_, i) => Math.max(...Array.from({ length: channels }, (_, c) => saliency[c * plane + i])));
    const sal = { cmap: 'heat', lo: 0, hi: valueRange(strongest)[1] || 1 };
    show(saliencyCanvas, `saliency · |∂ logit / ∂ pixel|${channels > 1 ? ', the largest of its channels' : ''}`, strongest, 0, width, height, sal);
    setLegend($('saliency-legend'), sal);

    layers.forEach((l, b) => {
      const scale = layerScale(l.data, l.signed);
      const { canvases, legendSlot } = blocks[b];
      const size = l.data.length / canvases.length;
      const [h, w] = l.shape.length === 3 ? l.shape.slice(1) : [1, size];
      canvases.forEach((c, i) => {
        const title = canvases.length > 1 ? `${l.name} · map ${i + 1} of ${canvases.length} · ${h}×${w}` : `${l.name} · ${l.shape.join('×')}`;
        show(c, title, l.data, i * size, w, h, scale);
      });
      setLegend(legendSlot, scale);
    });
    kernels.forEach((k, j) => {
      const [out, inp, kh, kw] = k.shape;
      const scale = layerScale(k.data, true);
      const { canvases, legendSlot } = blocks[layers.length + j];
      if (inp === 1) {
        canvases.forEach((c, i) => show(c, `${k.name} · kernel ${i + 1} of ${out}`, k.data, i * kh * kw, kw, kh, scale));
      } else {
        const t = tileKernels(k.data, k.shape);
        show(canvases[0], `${k.name}.weight · ${out} rows × ${inp} columns of ${kh}×${kw} kernels`, t.data, 0, t.width, t.height, scale);
      }
      setLegend(legendSlot, scale);
    });

    const best = probabilities.indexOf(Math.max(...probabilities));
    const name = (c) => classes?.[c] ?? String(c);
    $('layers-input-caption').textContent = `Input: ${asked.source}${asked.label != null ? ` (label ${name(asked.label)})` : ''}`;
    $('layers-prediction').textContent = `Predicted ${name(best)} (${(100 * probabilities[best]).toFixed(1)}%)`;
    panel.dataset.source = asked.source;
    panel.dataset.renders = String(++renders);
    if (openCanvas) fillDialog();
  }

  /** Replaces a legend only when its scale changed: live drawing renders many times a second. */
  function setLegend(slot, scale) {
    const key = [scale.cmap, scale.lo, scale.hi, scale.min, scale.max].map((v) => (typeof v === 'number' ? formatValue(v) : v)).join();
    if (slot.dataset.key === key) return;
    slot.dataset.key = key;
    slot.replaceChildren(legend(scale));
  }

  /** Paints one canvas and remembers what it shows, for the enlarged view. */
  function show(canvas, title, data, offset, width, height, scale) {
    paintMap(canvas, data, { offset, width, height, ...scale });
    shown.set(canvas, { title, data, offset, width, height, scale });
  }

  function fillDialog() {
    const m = shown.get(openCanvas);
    if (!m) return;
    const [lo, hi] = valueRange(m.data, m.offset, m.width * m.height);
    $('layers-dialog-title').textContent = m.title;
    paintMap(dialogCanvas, m.data, { offset: m.offset, width: m.width, height: m.height, ...m.scale });
    dialogCanvas.classList.toggle('strip', m.height === 1);
    $('layers-dialog-range').textContent = `Values from ${formatValue(lo)} to ${formatValue(hi)}; colours on the layer's scale below.`;
    const { cmap, lo: from, hi: to } = m.scale; // the layer's scale; the text above gives this map's range
    setLegend($('layers-dialog-legend'), { cmap, lo: from, hi: to });
  }

  function enlarge(canvas) {
    if (!shown.has(canvas)) return;
    openCanvas = canvas;
    fillDialog();
    dialog.showModal();
  }

  panel.addEventListener('click', (e) => {
    const c = e.target.closest?.('canvas');
    if (c && c !== dialogCanvas && shown.has(c)) enlarge(c);
  });
  panel.addEventListener('keydown', (e) => {
    if ((e.key === 'Enter' || e.key === ' ') && shown.has(e.target)) {
      e.preventDefault();
      enlarge(e.target);
    }
  });
  $('layers-dialog-close').addEventListener('click', () => dialog.close());
  // A click on the backdrop (the dialog element itself, outside its content) closes it too.
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => { openCanvas = null; });

  app.on('input', (detail) => {
    input = detail;
    refresh();
  });
  showModelStory($('layers-model'), app);
  // Whatever replaced the model (an upload, a reset, an epoch's end…), the maps follow.
  app.on('model', async () => {
    const first = !ready;
    ready = true;
    if (input || !first) {
      refresh();
      return;
    }
    showFirst();
  });
  /** Until something is drawn or picked: the digit the tutorial shows its feature maps for, or
   * another dataset's first test image. */
  async function showFirst() {
    const index = datasetName === 'MNIST' ? TUTORIAL_EXAMPLE : 0;
    try {
      const { pixels, shape, label } = await app.request('testImage', { index });
      if (input) return; // the Draw panel was quicker
      input = { pixels: Float32Array.from(pixels, (v) => v / 255), shape, source: `test image ${index}`, label };
      refresh();
    } catch (err) {
      say(`Could not fetch test image ${index}: ${err.message}`, 'error');
    }
  }
  // Another dataset: what was shown is of the old one.
  app.on('dataset', ({ about }) => {
    const same = classes && classes.join('\n') === about.classes.join('\n') && input?.shape
      && JSON.stringify(input.shape) === JSON.stringify(about.shape);
    classes = about.classes;
    datasetName = about.name;
    if (same) return;
    input = null;
    if (ready) showFirst();
  });
  app.on('crash', () => { ready = false; });
  app.on('progress', () => {
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_REFRESH_MS) {
      lastProgress = now;
      refresh();
    }
  });
}
