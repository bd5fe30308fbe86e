// The draw panel: draw a digit, or pick one of MNIST's test digits, and watch the network read it
// live. A drawing is prepared exactly as MNIST's digits were (mnist-preprocess.js) and the 28×28
// image the network sees is shown beside it. Whatever the panel shows is shared with the other
// panels as the App event 'input' {pixels, source, label}.
import { Sketchpad } from '../sketchpad.js';
import { toMnist, SIDE } from '../mnist-preprocess.js';
import { latestOnly } from '../latest.js';
import { paintMap } from '../colormap.js';
import { isUntrained, showModelStory } from '../model-story.js';
import { byTestId, statusLine } from '../panel.js';

/**
 * The tutorial's `imgs[3]`: `imgs` is the last batch its test loop saw (batch 64, no shuffling,
 * 10,000 = 156·64 + 16 images), so imgs[3] is test image 156·64 + 3 = 9987, a "4".
 */
export const TUTORIAL_EXAMPLE = 156 * 64 + 3;
const TEST_IMAGES = 10000;
/** While training, the prediction follows the model at most this often. */
const PROGRESS_REFRESH_MS = 2000;

export function setupDraw(panel, app) {
  const $ = byTestId(panel);
  const status = $('draw-status');
  const digit = $('draw-prediction');
  const confidence = $('draw-confidence');
  const label = $('draw-label');
  const truth = panel.querySelector('.draw-truth');
  const untrained = $('draw-untrained');
  const seen = $('draw-input');
  const buttons = [$('draw-random'), $('draw-example')];
  const bars = buildBars($('draw-probs'));

  let ready = false;
  let testCount = 0;
  let lastProgress = 0;
  let frameQueued = false;
  let predictions = 0;
  // Bumped when the input is replaced (cleared, a test image): answers for the old one are dropped.
  let generation = 0;
  /** {kind: 'empty'} | {kind: 'drawing'} | {kind: 'test', index, label, pixels: Uint8Array} */
  let source = { kind: 'empty' };
  let current = null; // the network's input, Float32Array(784), or null when there is nothing

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

  function networkInput() {
    if (source.kind === 'test') return Float32Array.from(source.pixels, (v) => v / 255);
    if (pad.empty) return null;
    const { gray, width, height } = pad.gray();
    const pixels = toMnist(gray, width, height);
    return pixels.some((v) => v > 0) ? pixels : null;
  }

  function update() {
    current = networkInput();
    paintSeen(seen, current);
    panel.dataset.source = source.kind === 'test' ? `test:${source.index}` : source.kind;
    if (!current) {
      showProbabilities(null);
      return;
    }
    app.emit('input', {
      pixels: current,
      source: source.kind === 'test' ? `test image ${source.index}` : 'your drawing',
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
    digit.textContent = p ? String(best) : '–';
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
      pad.showImage(pixels, SIDE);
      setLabel(trueLabel);
      say(index === TUTORIAL_EXAMPLE
        ? `Test image ${index}: the tutorial's imgs[3] (the 4th digit of its last test batch).`
        : `Test image ${index} of MNIST's 10,000. Draw over it, or clear it and draw your own.`);
      update();
    } catch (err) {
      say(`Could not fetch test image ${index}: ${err.message}`, 'error');
    }
  }

  $('draw-clear').addEventListener('click', () => {
    generation++;
    source = { kind: 'empty' };
    pad.clear();
    setLabel(null);
    say('');
    update();
  });
  $('draw-example').addEventListener('click', () => showTestImage(TUTORIAL_EXAMPLE));
  $('draw-random').addEventListener('click', () => {
    // Only images already downloaded, so the answer is immediate while the test set streams in.
    showTestImage(Math.floor(Math.random() * (testCount || TEST_IMAGES)));
  });

  const enable = () => buttons.forEach((b) => { b.disabled = !ready; });
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

  enable();
  update();
}

/** Ten rows, one per digit: label, bar, percentage (the Train panel's bar style). */
function buildBars(container) {
  return Array.from({ length: 10 }, (_, d) => {
    const row = document.createElement('div');
    row.className = 'bar-row draw-prob';
    row.dataset.testid = `draw-prob-${d}`;
    const name = document.createElement('span');
    name.textContent = String(d);
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

/** The 28×28 input as the network gets it, white ink on black (black when there is none). */
function paintSeen(canvas, pixels) {
  paintMap(canvas, pixels ?? new Float32Array(SIDE * SIDE), { width: SIDE, height: SIDE, cmap: 'gray', lo: 0, hi: 1 });
}
