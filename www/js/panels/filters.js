// The filter lab: a photo (the sample or an upload), a filter from the Rust core, the original
// and the result side by side.
import { imageDataFromFile } from '../images.js';
import { samplePhoto } from '../sample.js';

const LABELS = {
  mean: 'Mean 3×3 (the tutorial’s)',
  gaussian: 'Gaussian blur 3×3',
  sharpen: 'Sharpen',
  'sobel-x': 'Sobel x (vertical edges)',
  'sobel-y': 'Sobel y (horizontal edges)',
  emboss: 'Emboss',
};

export async function setupFilters(panel, core) {
  const $ = (id) => panel.querySelector(`[data-testid="${id}"]`);
  const select = $('filter-select');
  const status = $('filter-status');
  const original = $('filter-original');
  const result = $('filter-result');
  const caption = $('filter-caption');
  let current = null;

  for (const name of core.filter_names()) {
    select.add(new Option(LABELS[name] ?? name, name));
  }

  const say = (message, isError = false) => {
    status.textContent = message;
    status.classList.toggle('error', isError);
  };

  function show(imageData, notice = '') {
    current = imageData;
    paint(original, imageData);
    run(notice);
  }

  function run(notice = '') {
    if (!current) return;
    const { width, height, data } = current;
    const name = select.value;
    try {
      const t0 = performance.now();
      const pixels = core.filter_image(data, width, height, name);
      const ms = performance.now() - t0;
      paint(result, new ImageData(new Uint8ClampedArray(pixels.buffer), width, height));
      caption.textContent = `${LABELS[name] ?? name}: ${width}×${height} in ${ms.toFixed(1)} ms`;
      say(notice || `Filtered ${width}×${height} pixels with ${LABELS[name] ?? name}.`);
      panel.dataset.filtered = `${name}:${width}x${height}`;
    } catch (err) {
      say(`Could not filter: ${err.message ?? err}`, true);
    }
  }

  async function upload(file) {
    if (!file) return;
    say(`Reading "${file.name}"…`);
    try {
      const { imageData, notice } = await imageDataFromFile(file);
      show(imageData, notice);
    } catch (err) {
      say(err.message ?? String(err), true);
      panel.dataset.uploadError = 'true';
    }
  }

  select.addEventListener('change', () => run());
  $('filter-sample').addEventListener('click', () => show(samplePhoto()));
  $('filter-upload').addEventListener('change', (e) => {
    upload(e.target.files[0]);
    e.target.value = '';
  });
  panel.addEventListener('dragover', (e) => {
    e.preventDefault();
    panel.classList.add('dragging');
  });
  panel.addEventListener('dragleave', () => panel.classList.remove('dragging'));
  panel.addEventListener('drop', (e) => {
    e.preventDefault();
    panel.classList.remove('dragging');
    upload(e.dataTransfer.files[0]);
  });

  show(samplePhoto());
}

function paint(canvas, imageData) {
  canvas.width = imageData.width;
  canvas.height = imageData.height;
  canvas.getContext('2d').putImageData(imageData, 0, 0);
}
