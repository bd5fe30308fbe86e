// @ts-check
// The draw panel: draw (gray datasets), pick one of the dataset's test images, or use a photo, and
// watch the network read it live. A drawing is prepared exactly as MNIST's digits were
// (mnist-preprocess.js), then fitted to the dataset's size; a photo is centre-cropped and resized
// as a folder's images are (the core's fit_input). The image the network sees is shown beside
// it. Whatever the panel shows is shared with the other panels as the App event 'input'
// {pixels, shape, source, label}.
import { Sketchpad } from '../sketchpad.js';
import { toMnist, SIDE } from '../mnist-preprocess.js';
import { latestOnly } from '../latest.js';
import { paintImage } from '../colormap.js';
import { decode } from '../datasets.js';
import { isUntrained, showModelStory } from '../model-story.js';
import { byTestId, statusLine } from '../panel.js';
import { setupTeach } from './teach.js';
/** @import { App } from '../app.js' */

/**
 * The tutorial's `imgs[3]`: `imgs` is the last batch its test loop saw (batch 64, no shuffling,
 * 10,000 = 156·64 + 16 images), so imgs[3] is test image 156·64 + 3 = 9987, a "4".
 */
export const TUTORIAL_EXAMPLE = 156 * 64 + 3;
const TEST_IMAGES = 10000;
/** While training, the prediction follows the model at most this often. */
const PROGRESS_REFRESH_MS = 2000;

/** MNIST's shape, which a drawing is prepared in before it is fitted to the dataset's. */
const DRAWN = { channels: 1, height: SIDE, width: SIDE };

/** @param {App} app */
export function setupDraw(panel, app, core) {
  const $ = byTestId(panel);
  const status = $('draw-status');
  const digit = $('draw-prediction');
  const confidence = $('draw-confidence');
  const label = $('draw-label');
  const truth = panel.querySelector('.draw-truth');
  const untrained = $('draw-untrained');
  const seen = $('draw-input');
  const buttons = [$('draw-random'), $('draw-example')];
  const mode = $('draw-mode');
  let bars = buildBars($('draw-probs'), DIGITS);
  let dataset = { name: 'MNIST', shape: DRAWN, classes: DIGITS, test: TEST_IMAGES };
  const shape = () => dataset.shape;
  const drawable = () => shape().channels === 1;
  const isMnistShape = () => shape().height === SIDE && shape().width === SIDE && drawable();

  let ready = false;
  let testCount = 0;
  let lastProgress = 0;
  let frameQueued = false;
  let predictions = 0;
  // Bumped when the input is replaced (cleared, a test image): answers for the old one are dropped.
  let generation = 0;
  /** {kind: 'empty'} | {kind: 'drawing'} | {kind: 'test', index, label, pixels: Uint8Array} |
   * {kind: 'photo', name, pixels: Float32Array} */
  let source = { kind: 'empty' };
  let current = null; // the network's input, Float32Array (C×H×W), or null when there is nothing
  let teaching = false; // the Teach section is open: the canvas takes drawings whatever the data

  const setLabel = (l) => {
    label.textContent = l === null ? '' : String(l);
    // Hidden but still taking its line, so nothing below it moves.
    truth.classList.toggle('invisible', l === null);
  };
  const say = statusLine(status);

  const pad = new Sketchpad($('draw-canvas'), {
    onChange: () => {
      // Drawing over a test image makes it a drawing: it is preprocessed like one from now on.
      if (source.kind !== 'drawing') {
        source = { kind: 'drawing' };
        setLabel(null);
        say('');
      }
      panel.dataset.pointer = pad.lastPointerType;
      schedule();
    },
  });

  const predict = latestOnly(async ({ pixels, gen }) => {
    try {
      const { probabilities } = await app.request('predict', { pixels });
      if (gen === generation) showProbabilities(probabilities);
    } catch (err) {
      say(`No prediction: ${err.message}`, 'error');
    }
  });

  /** One update per frame however fast the pointer moves. */
  function schedule() {
    if (frameQueued) return;
    frameQueued = true;
    requestAnimationFrame(() => {
      frameQueued = false;
      update();
    });
  }

  /** The drawing prepared as MNIST's digits (floats in [0, 1]), or null when there is no ink. */
  function prepared() {
    if (pad.empty) return null;
    const { gray, width, height } = pad.gray();
    const pixels = toMnist(gray, width, height);
    return pixels.some((v) => v > 0) ? pixels : null;
  }

  function networkInput() {
    if (source.kind === 'test') return Float32Array.from(source.pixels, (v) => v / 255);
    if (source.kind === 'photo') return source.pixels;
    if (!(drawable() || teaching)) return null;
    const pixels = prepared();
    if (!pixels) return null;
    if (isMnistShape()) return pixels;
    // Prepared as MNIST's digits, then fitted to the dataset's size.
    return core.fit_input(Uint8Array.from(pixels, (v) => Math.round(255 * v)), SIDE, SIDE, 1, shape());
  }

  function update() {
    current = networkInput();
    paintImage(seen, current ?? new Float32Array(shape().channels * shape().height * shape().width), shape(), { lo: 0, hi: 1 });
    panel.dataset.source = source.kind === 'test' ? `test:${source.index}` : source.kind;
    if (!current) {
      showProbabilities(null);
      return;
    }
    app.emit('input', {
      pixels: current,
      shape: shape(),
      source: { test: `test image ${source.index}`, photo: `your photo ${source.name}` }[source.kind] ?? 'your drawing',
      label: source.kind === 'test' ? source.label : null,
    });
    refresh();
  }

  /** Asks again for the current input: the input or the model changed. */
  function refresh() {
    if (ready && current) predict({ pixels: current, gen: generation });
  }

  function showProbabilities(p) {
    const best = p ? p.indexOf(Math.max(...p)) : -1;
    digit.textContent = p ? (dataset.classes[best] ?? String(best)) : '–';
    confidence.textContent = p ? `${(100 * p[best]).toFixed(1)}% sure` : '';
    bars.forEach(({ row, fill, text }, d) => {
      const v = p ? p[d] : 0;
      row.dataset.value = p ? String(v) : '';
      row.classList.toggle('predicted', d === best);
      fill.style.width = `${(100 * v).toFixed(1)}%`;
      text.textContent = p ? `${(100 * v).toFixed(1)}%` : '';
    });
    if (p) panel.dataset.predictions = String(++predictions);
  }

  async function showTestImage(index) {
    say(`Fetching test image ${index}…`);
    try {
      const { pixels, label: trueLabel } = await app.request('testImage', { index });
      generation++;
      source = { kind: 'test', index, label: trueLabel, pixels };
      pad.clear();
      if (isMnistShape()) pad.showImage(pixels, SIDE);
      setLabel(dataset.classes[trueLabel] ?? trueLabel);
      const of = `of ${dataset.name}'s ${dataset.test.toLocaleString('en')}`;
      say(index === TUTORIAL_EXAMPLE && dataset.name === 'MNIST'
        ? `Test image ${index}: the tutorial's imgs[3] (the 4th digit of its last test batch).`
        : `Test image ${index} ${of}.${drawable() ? ' Draw over it, or clear it and draw your own.' : ''}`);
      update();
    } catch (err) {
      say(`Could not fetch test image ${index}: ${err.message}`, 'error');
    }
  }

  /** Replaces what the network is shown: the pad cleared, answers for the old input dropped. */
  function replaceInput(next, message = '') {
    generation++;
    source = next;
    pad.clear();
    setLabel(null);
    say(message);
    update();
  }

  // "That was a 7": the input with the class the user says joins the corrections the model
  // is fine-tuned on, now.
  const truthSelect = $('draw-truth-select');
  const correctButton = $('draw-correct');
  correctButton.addEventListener('click', async () => {
    if (!current) return say('Draw something first, or pick an image.', 'error');
    const label = Number(truthSelect.value);
    const name = dataset.classes[label];
    correctButton.disabled = true;
    say(`Learning that this is “${name}”…`);
    try {
      const r = await app.request('correct', { pixels: current, label });
      const steps = `${r.steps} step${r.steps === 1 ? '' : 's'}`;
      const held = `${r.corrections} correction${r.corrections === 1 ? '' : 's'}`;
      say(r.learnt
        ? `Learnt in ${steps} (${r.seconds.toFixed(1)} s): it now reads each of your ${held} as you said.`
        : `After ${steps} it still misreads some of your ${held}: say it again, or train more.`, r.learnt ? 'ok' : 'error');
      panel.dataset.corrections = String(r.corrections);
    } catch (err) {
      say(`Could not learn it: ${err.message}.`, 'error');
    } finally {
      correctButton.disabled = !ready;
    }
  });
  function fillTruths() {
    truthSelect.replaceChildren(...dataset.classes.map((c, i) => new Option(c, String(i))));
  }
  fillTruths();

  $('draw-clear').addEventListener('click', () => replaceInput({ kind: 'empty' }));
  $('draw-example').addEventListener('click', () => showTestImage(TUTORIAL_EXAMPLE));
  $('draw-random').addEventListener('click', () => {
    // Only images already downloaded, so the answer is immediate while the test set streams in.
    showTestImage(Math.floor(Math.random() * (testCount || dataset.test || 1)));
  });
  // A photo: centre-cropped and resized to the dataset's images by the core, as a folder's are.
  $('draw-photo').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    try {
      const { rgba, width, height } = await decode(file);
      const pixels = core.fit_input(rgba, width, height, 4, shape());
      replaceInput({ kind: 'photo', name: file.name, pixels }, `Your photo ${file.name}, centre-cropped and resized to ${shape().width}×${shape().height}.`);
    } catch (err) {
      say(`That photo could not be read: ${err.message ?? err}.`, 'error');
    }
  });

  /** The panel follows the dataset: its classes, its images' size, and whether one can draw. */
  app.on('dataset', ({ about }) => {
    const changed = JSON.stringify(about.shape) !== JSON.stringify(dataset.shape) || about.classes.join('\n') !== dataset.classes.join('\n');
    dataset = about;
    panel.dataset.dataset = about.name;
    $('draw-example').hidden = about.name !== 'MNIST';
    panel.querySelector('#draw-title').textContent = about.name === 'MNIST' ? 'Draw a digit' : drawable() ? 'Draw' : 'Show it an image';
    const s = shape();
    $('draw-input-caption').textContent = `What the network sees (${s.width}×${s.height}${s.channels === 3 ? ', colour' : ''})`;
    mode.textContent = drawable()
      ? (isMnistShape() ? '' : `Drawings are prepared as MNIST's digits, then fitted to ${s.width}×${s.height}.`)
      : `${about.name} is in colour: pick a test image or use a photo of your own (drawing is for gray datasets).`;
    panel.classList.toggle('no-drawing', !drawable());
    if (!changed) return;
    fillTruths();
    bars = buildBars($('draw-probs'), about.classes);
    replaceInput({ kind: 'empty' });
  });

  setupTeach(panel, app, core, {
    drawing: () => {
      const pixels = prepared();
      return pixels && Uint8Array.from(pixels, (v) => Math.round(255 * v));
    },
    clear: () => replaceInput({ kind: 'empty' }),
    setTeaching: (on) => {
      teaching = on;
      panel.classList.toggle('teaching', on);
      schedule();
    },
    shape: DRAWN,
  });

  const enable = () => [...buttons, correctButton].forEach((b) => { b.disabled = !ready; });
  showModelStory($('draw-model'), app);
  // Whatever replaced the model (an upload, a reset, an epoch's end…), the prediction follows.
  app.on('model', (model) => {
    ready = true;
    untrained.hidden = !isUntrained(model);
    enable();
    refresh();
  });
  app.on('crash', () => { ready = false; enable(); });
  app.on('progress', () => {
    untrained.hidden = true;
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_REFRESH_MS) {
      lastProgress = now;
      refresh();
    }
  });
  app.on('data', ({ split, loaded }) => { if (split === 'test') testCount = loaded; });
  app.on('dataset', ({ about }) => { testCount = about.test; });

  enable();
  update();
}

const DIGITS = Array.from({ length: 10 }, (_, d) => String(d));

/** A row per class: its name, bar, percentage (the Train panel's bar style). */
function buildBars(container, classes) {
  container.replaceChildren();
  return classes.map((c, d) => {
    const row = document.createElement('div');
    row.className = 'bar-row draw-prob';
    row.dataset.testid = `draw-prob-${d}`;
    const name = document.createElement('span');
    name.textContent = c;
    const track = document.createElement('span');
    track.className = 'bar-track';
    const fill = document.createElement('span');
    fill.className = 'bar-fill';
    track.append(fill);
    const text = document.createElement('span');
    row.append(name, track, text);
    container.append(row);
    return { row, fill, text };
  });
}

