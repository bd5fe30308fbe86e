// The training panel: settings (kept in the URL so a setup can be shared), the architecture,
// start / pause / resume / stop / reset, live progress and charts, and after each epoch the test
// accuracy, a confusion matrix, per-class accuracy and the misclassified digits.
import { LineChart } from '../chart.js';
import { ArchitectureEditor } from './architecture.js';
import { readHash, writeHash } from '../settings.js';

export const RECIPES = {
  tutorial: { epochs: 5, batch: 64, lr: 0.001, optimizer: 'adam', schedule: 'constant', shift: 0, seed: 0, arch: 'tutorial' },
  improved: { epochs: 5, batch: 64, lr: 0.002, optimizer: 'adam', schedule: 'cosine', shift: 2, seed: 0, arch: 'tutorial_bn' },
};
/** Workers to train on, unless the page says otherwise (#threads=1): a recipe does not set it. */
const DEFAULT_THREADS = 2;

/** What the worker's `init` and `reset` take, from the panel's settings. */
export function workerSettings(s, spec) {
  const optimizer = s.optimizer === 'sgd'
    ? { type: 'sgd', lr: s.lr, momentum: 0.9 }
    : { type: 'adam', lr: s.lr };
  return {
    spec,
    config: { epochs: s.epochs, batch_size: s.batch, optimizer, schedule: s.schedule, shift: s.shift, seed: s.seed },
    seed: s.seed,
    epochs: s.epochs,
    threads: s.threads,
  };
}

export function initialSettings(core) {
  const hash = readHash();
  const recipe = RECIPES[hash.recipe] ? hash.recipe : 'tutorial';
  const s = { ...RECIPES[recipe], threads: DEFAULT_THREADS, recipe, ...hash.values };
  const spec = hash.spec ?? core.preset_spec(RECIPES[recipe].arch);
  return { settings: s, spec };
}

export function setupTrain(panel, app, core, { settings, spec }) {
  const $ = (id) => panel.querySelector(`[data-testid="${id}"]`);
  const inputs = {
    epochs: $('train-epochs'), batch: $('train-batch'), lr: $('train-lr'), seed: $('train-seed'),
    optimizer: $('train-optimizer'), schedule: $('train-schedule'), shift: $('train-shift'), threads: $('train-threads'),
  };
  const recipe = $('train-recipe');
  const buttons = {
    start: $('train-start'), pause: $('train-pause'), resume: $('train-resume'), stop: $('train-stop'), reset: $('train-reset'),
  };
  const status = $('train-status');
  const bar = $('train-progress');
  const barText = $('train-progress-text');
  const dataStatus = $('data-status');
  const threadsStatus = $('threads-status');
  const lossChart = new LineChart($('chart-loss'), {
    series: [{ name: 'train loss' }, { name: 'test loss' }], xLabel: 'epoch',
  });
  const accChart = new LineChart($('chart-accuracy'), {
    series: [{ name: 'train accuracy' }, { name: 'test accuracy' }], yRange: null, xLabel: 'epoch',
    format: (v) => `${(100 * v).toFixed(1)}%`,
  });
  panel.charts = { loss: lossChart, accuracy: accChart };
  let state = 'idle';
  let archValid = true;
  let dirty = false; // settings changed since the model was made

  const editor = new ArchitectureEditor($('arch'), core, (newSpec, valid) => {
    spec = newSpec;
    archValid = valid;
    markDirty();
  });

  function show(s) {
    for (const [k, el] of Object.entries(inputs)) el.value = String(s[k]);
    recipe.value = s.recipe;
  }

  function read() {
    const n = (el) => Number(el.value);
    return {
      recipe: recipe.value, epochs: n(inputs.epochs), batch: n(inputs.batch), lr: n(inputs.lr), seed: n(inputs.seed),
      optimizer: inputs.optimizer.value, schedule: inputs.schedule.value, shift: n(inputs.shift), threads: n(inputs.threads),
    };
  }

  function validate(s) {
    if (!Number.isInteger(s.epochs) || s.epochs < 1 || s.epochs > 100) return 'Epochs must be a whole number from 1 to 100.';
    if (!Number.isInteger(s.batch) || s.batch < 1 || s.batch > 4096) return 'Batch size must be a whole number from 1 to 4096.';
    if (!(s.lr > 0 && Number.isFinite(s.lr))) return 'The learning rate must be a number above 0 (e.g. 0.001).';
    if (!Number.isInteger(s.seed) || s.seed < 0) return 'The seed must be a whole number, 0 or more.';
    if (!Number.isInteger(s.shift) || s.shift < 0 || s.shift > 8) return 'Shift must be 0 to 8 pixels.';
    if (s.threads !== 1 && s.threads !== 2) return 'Workers must be 1 or 2.';
    if (!archValid) return 'The architecture cannot run: fix it below.';
    return '';
  }

  const say = (message, kind = '') => {
    status.textContent = message;
    status.className = `status ${kind}`;
  };

  function markDirty() {
    settings = read();
    writeHash(settings, spec, RECIPES);
    const problem = validate(settings);
    if (problem) say(problem, 'error');
    else if (state !== 'training') say(dirty || state === 'idle' ? 'Ready. Settings apply when you start or reset.' : '');
    dirty = true;
    updateButtons();
  }

  function updateButtons() {
    const invalid = Boolean(validate(read()));
    buttons.start.disabled = state === 'training' || state === 'paused' || invalid;
    buttons.pause.disabled = state !== 'training';
    buttons.resume.disabled = state !== 'paused';
    buttons.stop.disabled = state !== 'training' && state !== 'paused';
    buttons.reset.disabled = invalid;
    panel.dataset.state = state;
  }

  for (const el of Object.values(inputs)) el.addEventListener('change', markDirty);
  recipe.addEventListener('change', () => {
    const r = RECIPES[recipe.value];
    if (r) {
      show({ ...r, threads: Number(inputs.threads.value), recipe: recipe.value });
      editor.set(core.preset_spec(r.arch));
    }
    markDirty();
  });
  // The learning rate and batch size can change while training.
  inputs.lr.addEventListener('change', () => { if (validate(read()) === '') app.send('set', { lr: Number(inputs.lr.value) }); });
  inputs.batch.addEventListener('change', () => { if (validate(read()) === '') app.send('set', { batchSize: Number(inputs.batch.value) }); });
  inputs.epochs.addEventListener('change', () => { if (validate(read()) === '') app.send('set', { epochs: Number(inputs.epochs.value) }); });
  inputs.threads.addEventListener('change', () => { if (validate(read()) === '') app.send('set', { threads: Number(inputs.threads.value) }); });

  function clearResults() {
    lossChart.clear();
    accChart.clear();
    $('test-accuracy').textContent = '';
    $('confusion').replaceChildren();
    $('per-class').replaceChildren();
    $('misclassified').replaceChildren();
    $('epoch-results').hidden = true;
    bar.value = 0;
    barText.textContent = '';
  }

  buttons.start.addEventListener('click', () => {
    if (dirty) {
      clearResults();
      app.send('reset', workerSettings(settings, spec));
      dirty = false;
    }
    app.send('start');
  });
  buttons.pause.addEventListener('click', () => app.send('pause'));
  buttons.resume.addEventListener('click', () => app.send('resume'));
  buttons.stop.addEventListener('click', () => app.send('stop'));
  buttons.reset.addEventListener('click', () => {
    clearResults();
    app.send('reset', workerSettings(read(), spec));
    dirty = false;
    say('A fresh, untrained model.');
  });

  app.on('state', ({ state: s }) => {
    state = s;
    updateButtons();
    if (s === 'paused') say('Paused. Resume continues where it stopped.');
    if (s === 'training') say('Training in a Web Worker…');
    if (s === 'done') say('Done: the model is kept in this browser and restored on reload.', 'ok');
  });
  app.on('data', ({ split, loaded, total, bytes, bytesTotal }) => {
    panel.dataset[`${split}Loaded`] = String(loaded);
    const pct = Math.round((100 * bytes) / bytesTotal);
    dataStatus.textContent = loaded < total
      ? `Downloading MNIST ${split === 'train' ? 'training' : 'test'} images: ${loaded.toLocaleString('en')} of ${total.toLocaleString('en')} (${pct}%)`
      : `MNIST loaded: ${Number(panel.dataset.trainLoaded ?? 0).toLocaleString('en')} training and ${Number(panel.dataset.testLoaded ?? 0).toLocaleString('en')} test images.`;
  });
  const steps = { x: 0 };
  app.on('progress', (p) => {
    const done = (p.epoch - 1 + p.epochProgress) / p.epochs;
    bar.value = done;
    const eta = Number.isFinite(p.etaSeconds) ? `${Math.floor(p.etaSeconds / 60)}:${String(Math.round(p.etaSeconds % 60)).padStart(2, '0')} left` : '';
    barText.textContent = `epoch ${p.epoch}/${p.epochs} · ${(100 * p.epochProgress).toFixed(0)}% · loss ${p.loss.toFixed(4)} · ${Math.round(p.imagesPerSecond).toLocaleString('en')} images/s · ${eta}`;
    steps.x = p.epoch - 1 + p.epochProgress;
    lossChart.add(0, steps.x, p.loss);
    accChart.add(0, steps.x, p.accuracy);
    panel.dataset.steps = String(p.steps);
  });
  app.on('epoch', ({ epoch, test }) => {
    $('epoch-results').hidden = false;
    lossChart.add(1, epoch, test.loss);
    accChart.add(1, epoch, test.accuracy);
    $('test-accuracy').textContent = `After epoch ${epoch}: test accuracy ${(100 * test.accuracy).toFixed(2)}% (${test.correct.toLocaleString('en')} of ${test.total.toLocaleString('en')})`;
    panel.dataset.testAccuracy = String(test.accuracy);
    panel.dataset.epochsDone = String(epoch);
    renderConfusion($('confusion'), $('per-class'), test.confusion);
    renderMisclassified($('misclassified'), app, test.misclassified);
  });
  app.on('threads', ({ threads, reason }) => {
    panel.dataset.threads = String(threads);
    threadsStatus.textContent = threads > 1
      ? 'Training on 2 workers: each computes half of every batch.'
      : `Training on 1 worker: ${reason}.`;
  });
  app.on('error', ({ message, diverged }) => {
    say(diverged ? `${message} Training stopped; the model before this step is kept.` : message, 'error');
  });
  app.on('ready', ({ restored, params }) => {
    if (restored) say(`Restored the model saved ${new Date(restored.savedAt).toLocaleString()}${restored.accuracy ? ` (test accuracy ${(100 * restored.accuracy).toFixed(2)}%)` : ''}.`, 'ok');
    panel.dataset.params = String(params);
  });
  app.on('loaded', () => { dirty = false; clearResults(); say('Loaded the uploaded model.', 'ok'); });

  show(settings);
  editor.set(spec);
  dirty = false;
  updateButtons();
}

function renderConfusion(table, perClass, confusion) {
  const k = Math.round(Math.sqrt(confusion.length));
  const max = Math.max(...confusion);
  const head = document.createElement('tr');
  head.append(cell('th', 'true ↓ / predicted →'));
  for (let j = 0; j < k; j++) head.append(cell('th', String(j)));
  const rows = [head];
  const accs = [];
  for (let i = 0; i < k; i++) {
    const tr = document.createElement('tr');
    tr.append(cell('th', String(i)));
    let total = 0;
    for (let j = 0; j < k; j++) {
      const n = confusion[i * k + j];
      total += n;
      const td = cell('td', n ? String(n) : '');
      // Heat: the diagonal in blue, mistakes in orange, stronger for more.
      const a = n ? 0.12 + 0.88 * Math.sqrt(n / max) : 0;
      td.style.background = i === j ? `rgba(47,111,223,${a})` : `rgba(224,103,43,${Math.min(1, a * 3)})`;
      if (i === j && a > 0.6) td.style.color = '#fff';
      tr.append(td);
    }
    accs.push(total ? confusion[i * k + i] / total : 0);
    rows.push(tr);
  }
  table.replaceChildren(...rows);
  perClass.replaceChildren(...accs.map((a, digit) => {
    const row = document.createElement('div');
    row.className = 'bar-row';
    const label = cell('span', String(digit));
    const track = document.createElement('span');
    track.className = 'bar-track';
    const fill = document.createElement('span');
    fill.className = 'bar-fill';
    fill.style.width = `${(100 * a).toFixed(1)}%`;
    track.append(fill);
    row.append(label, track, cell('span', `${(100 * a).toFixed(1)}%`));
    return row;
  }));
}

function cell(tag, text) {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

async function renderMisclassified(gallery, app, misclassified) {
  const items = await Promise.all(misclassified.slice(0, 32).map(async (m) => {
    const { pixels } = await app.request('testImage', { index: m.index });
    const fig = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    const img = new ImageData(28, 28);
    pixels.forEach((v, i) => { img.data.set([255 - v, 255 - v, 255 - v, 255], i * 4); });
    canvas.getContext('2d').putImageData(img, 0, 0);
    const cap = document.createElement('figcaption');
    cap.textContent = `${m.label}→${m.predicted}`;
    cap.title = `test image ${m.index}: a ${m.label}, predicted ${m.predicted}`;
    fig.append(canvas, cap);
    return fig;
  })).catch(() => []);
  gallery.replaceChildren(...items);
}
