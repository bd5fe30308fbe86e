// @ts-check
// The filter lab: a photo (the sample or an upload), a filter from the Rust core, the original
// and the result side by side.
import { wasmBytes } from '../core.js';
import { imageDataFromFile } from '../images.js';
import { samplePhoto } from '../sample.js';
import { acceptFiles, byTestId, statusLine } from '../panel.js';

const LABELS = {
  mean: 'Mean 3×3 (the tutorial’s)',
  gaussian: 'Gaussian blur 3×3',
  sharpen: 'Sharpen',
  'sobel-x': 'Sobel x (vertical edges)',
  'sobel-y': 'Sobel y (horizontal edges)',
  edges: 'Edge magnitude (both Sobels)',
  custom: 'Custom kernel…',
  emboss: 'Emboss',
};

export async function setupFilters(panel, core) {
  const $ = byTestId(panel);
  const select = $('filter-select');
  const status = $('filter-status');
  const original = $('filter-original');
  const result = $('filter-result');
  const caption = $('filter-caption');
  /** @type {ImageData | null} */
  let current = null;
  /** @type {any} the current photo in the core (its Photo), filtered again at each change */
  let photo = null;

  for (const name of [...core.filter_names(), 'custom']) {
    select.add(new Option(LABELS[name] ?? name, name));
  }
  const custom = customKernel(panel, () => run());

  const say = statusLine(status);

  function show(imageData, notice = '') {
    try {
      const next = new core.Photo(imageData.data, imageData.width, imageData.height);
      photo?.free();
      photo = next;
    } catch (err) {
      say(`Could not take this photo: ${err.message ?? err}`, 'error');
      return;
    }
    current = imageData;
    paint(original, imageData);
    run(notice);
  }

  function run(notice = '') {
    if (!current) return;
    const { width, height, data } = current;
    const name = select.value;
    custom.show(name === 'custom');
    try {
      const t0 = performance.now();
      photo.filter(name === 'custom' ? custom.filter() : name);
      const ms = performance.now() - t0;
      paint(result, new ImageData(wasmBytes(photo.filtered_ptr(), data.length), width, height));
      caption.textContent = `${LABELS[name] ?? name}: ${width}×${height} in ${ms.toFixed(1)} ms`;
      say(notice || `Filtered ${width}×${height} pixels with ${LABELS[name] ?? name}.`);
      panel.dataset.filtered = `${name}:${width}x${height}`;
    } catch (err) {
      say(`Could not filter: ${err.message ?? err}`, 'error');
    }
  }

  async function upload(file) {
    if (!file) return;
    say(`Reading "${file.name}"…`);
    try {
      const { imageData, notice } = await imageDataFromFile(file);
      show(imageData, notice);
    } catch (err) {
      say(err.message ?? String(err), 'error');
      panel.dataset.uploadError = 'true';
    }
  }

  select.addEventListener('change', () => run());
  $('filter-sample').addEventListener('click', () => show(samplePhoto()));
  acceptFiles(panel, $('filter-upload'), upload);

  show(samplePhoto());
}

/** The custom kernel editor: a 3×3 or 5×5 grid of weights, a divisor and an offset. */
function customKernel(panel, onChange) {
  const $ = byTestId(panel);
  const fieldset = $('custom-kernel');
  const grid = $('custom-grid');
  const size = $('custom-size');
  let inputs = [];

  function build() {
    const k = Number(size.value);
    const old = inputs.map((i) => i.value);
    const oldK = Math.round(Math.sqrt(old.length));
    grid.style.gridTemplateColumns = `repeat(${k}, 4.2em)`;
    inputs = Array.from({ length: k * k }, (_, i) => {
      const [r, c] = [Math.floor(i / k), i % k];
      const input = document.createElement('input');
      input.type = 'number';
      input.step = 'any';
      input.dataset.testid = `custom-${r}-${c}`;
      input.setAttribute('aria-label', `kernel row ${r + 1}, column ${c + 1}`);
      // Keep the old weights centred when the size changes; start as the identity.
      const o = (oldK - k) / 2;
      const prev = oldK && r + o >= 0 && c + o >= 0 && r + o < oldK && c + o < oldK ? old[(r + o) * oldK + c + o] : null;
      input.value = prev ?? (r === (k - 1) / 2 && c === (k - 1) / 2 ? '1' : '0');
      input.addEventListener('change', onChange);
      return input;
    });
    grid.replaceChildren(...inputs);
  }

  size.addEventListener('change', () => { build(); onChange(); });
  $('custom-divisor').addEventListener('change', onChange);
  $('custom-offset').addEventListener('change', onChange);
  build();

  return {
    show(visible) { fieldset.hidden = !visible; },
    /** The kernel as the core takes it; a non-number is passed on as NaN for the core to refuse. */
    filter() {
      const k = Number(size.value);
      const value = (input) => (input.value.trim() === '' ? NaN : Number(input.value));
      return {
        kernel: Array.from({ length: k }, (_, r) => inputs.slice(r * k, r * k + k).map(value)),
        divisor: value($('custom-divisor')),
        offset: value($('custom-offset')),
      };
    },
  };
}

function paint(canvas, imageData) {
  canvas.width = imageData.width;
  canvas.height = imageData.height;
  canvas.getContext('2d').putImageData(imageData, 0, 0);
}
