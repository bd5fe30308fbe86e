// @ts-check
// The training panel: settings (kept in the URL so a setup can be shared), the architecture,
// start / pause / resume / stop / reset, live progress, the model's loss and accuracy curves
// (its history, so they come back after a reload or an upload), and after each epoch or an
// evaluation of any model the test accuracy, a confusion matrix and per-class accuracy under the
// dataset's class names, and the misclassified images as they are (in colour for colour data).
import { LineChart } from '../chart.js';
import { imageFigure } from '../colormap.js';
import { isUntrained, percent, showModelStory } from '../model-story.js';
import { ArchitectureEditor } from './architecture.js';
import { readHash, writeHash } from '../settings.js';
import { probeGpu } from '../gpu.js';
import { byTestId, statusLine } from '../panel.js';
/** @import { App } from '../app.js' */
/** @import { About, ModelEvent } from '../protocol.js' */

/** The form's inputs that are the core's training fields (`training_fields`): input → field. */
const FIELD_OF = { epochs: 'epochs', batch: 'batch_size', lr: 'lr', shift: 'shift', smoothing: 'label_smoothing', seed: 'seed' };
/** The settings a recipe fixes (all but the architecture). */
const RECIPE_SETTINGS = ['epochs', 'batch', 'lr', 'optimizer', 'schedule', 'shift', 'smoothing', 'seed'];

/** The form's values for a training config, as a recipe or a model's history holds it. */
function formOf(config) {
  return {
    // The rate is an f32 in the core: 0.001 comes back as 0.0010000000474974513.
    epochs: config.epochs, batch: config.batch_size, lr: Number(config.optimizer.lr.toPrecision(7)),
    optimizer: config.optimizer.type, schedule: config.schedule, shift: config.shift,
    smoothing: Number((config.label_smoothing ?? 0).toPrecision(7)), seed: config.seed,
  };
}

/** The core's recipes as the form knows them: name → {label, spec, …the form's values}. */
function recipesOf(core) {
  return Object.fromEntries(core.recipes().map((r) => [r.name, { label: r.label, help: r.help, spec: r.spec, ...formOf(r.config) }]));
}
/** Workers to train on, unless the page says otherwise (#threads=1): a recipe does not set it. */
const DEFAULT_THREADS = 2;

/** What the worker's `init` and `reset` take, from the panel's settings. */
export function workerSettings(s, spec) {
  const optimizer = s.optimizer === 'sgd'
    ? { type: 'sgd', lr: s.lr, momentum: 0.9 }
    : { type: 'adam', lr: s.lr };
  return {
    spec,
    config: {
      epochs: s.epochs, batch_size: s.batch, optimizer, schedule: s.schedule, shift: s.shift, label_smoothing: s.smoothing, seed: s.seed,
    },
    seed: s.seed,
    epochs: s.epochs,
    threads: s.threads,
    device: s.device,
    data: s.data,
  };
}

export function initialSettings(core) {
  const hash = readHash(core.schedules().map((s) => s.name));
  const recipes = recipesOf(core);
  // A link without a recipe (null) names none.
  const recipe = recipes[/** @type {string} */ (hash.recipe)] ? /** @type {string} */ (hash.recipe) : 'tutorial';
  const { label, help, spec: recipeSpec, ...values } = recipes[recipe];
  // The CPU unless the link says the GPU: a GPU is offered, never chosen for the user.
  const s = { ...values, threads: DEFAULT_THREADS, device: 'cpu', recipe, ...hash.values };
  const spec = hash.spec ?? recipeSpec;
  // A link that says nothing leaves the form free to show the model kept in the browser.
  return { settings: s, spec, fromLink: location.hash.length > 1 };
}

/** The form's settings that a model's history recorded (its latest run), over `s`. */
function settingsOf(history, s) {
  const c = history.config;
  return c ? { ...s, ...formOf(c), seed: history.seed ?? c.seed } : s;
}

/** @param {App} app */
export function setupTrain(panel, app, core, { settings, spec, fromLink }) {
  const $ = byTestId(panel);
  const inputs = {
    epochs: $('train-epochs'), batch: $('train-batch'), lr: $('train-lr'), seed: $('train-seed'),
    optimizer: $('train-optimizer'), schedule: $('train-schedule'), shift: $('train-shift'), smoothing: $('train-smoothing'),
    threads: $('train-threads'),
    device: $('train-device'),
  };
  const recipe = $('train-recipe');
  const recipes = recipesOf(core);
  recipe.replaceChildren(...Object.entries(recipes).map(([name, r]) => Object.assign(new Option(r.label, name), { title: r.help })),
    new Option('Custom', 'custom'));
  inputs.schedule.replaceChildren(...core.schedules().map((s) => new Option(s.label, s.name)));
  // Each field's range and help are the core's.
  for (const f of core.training_fields()) {
    const input = inputs[Object.keys(FIELD_OF).find((k) => FIELD_OF[k] === f.name)];
    input.min = String(f.min);
    if (f.max !== null) input.max = String(f.max);
    input.step = f.kind === 'count' ? '1' : 'any';
    input.title = f.help;
  }
  const buttons = {
    start: $('train-start'), pause: $('train-pause'), resume: $('train-resume'), stop: $('train-stop'),
    reset: $('train-reset'), evaluate: $('train-evaluate'),
  };
  const status = $('train-status');
  const plan = $('train-plan');
  const bar = $('train-progress');
  const barText = $('train-progress-text');
  const dataStatus = $('data-status');
  const threadsStatus = $('threads-status');
  const deviceStatus = $('device-status');
  const lossChart = new LineChart($('chart-loss'), {
    series: [{ name: 'train loss' }, { name: 'test loss' }], xLabel: 'epochs',
  });
  const accChart = new LineChart($('chart-accuracy'), {
    series: [{ name: 'train accuracy' }, { name: 'test accuracy' }], yRange: [0, 1], xLabel: 'epochs',
    format: (v, decimals) => `${(100 * v).toFixed(Math.max(0, decimals - 2))}%`,
  });
  panel.charts = { loss: lossChart, accuracy: accChart };
  let state = 'idle';
  let archValid = true;
  /** @type {ModelEvent | null} the worker's latest `model` event */
  let model = null;
  let evaluations = 0;
  let showing = ''; // what the shown test report describes: 'epoch', 'evaluation', or nothing
  let storageOk = true;
  /** @type {About | null} the dataset in use */
  let dataset = null;
  const kept = () => (storageOk
    ? 'the model is kept in this browser and restored on reload.'
    : 'this browser cannot keep the model, so download it in Save and load to keep it.');

  const editor = new ArchitectureEditor($('arch'), core, (newSpec, valid) => {
    spec = newSpec;
    archValid = valid;
    changed();
  });
  showModelStory($('train-model'), app);

  function show(s) {
    for (const [k, el] of Object.entries(inputs)) el.value = String(s[k]);
    recipe.value = s.recipe;
  }

  function read() {
    const n = (el) => Number(el.value);
    return {
      recipe: recipe.value, epochs: n(inputs.epochs), batch: n(inputs.batch), lr: n(inputs.lr), seed: n(inputs.seed),
      optimizer: inputs.optimizer.value, schedule: inputs.schedule.value, shift: n(inputs.shift), smoothing: n(inputs.smoothing),
      threads: n(inputs.threads),
      device: inputs.device.value,
      data: settings.data,
    };
  }

  /** Why the form cannot start a run ('' when it can), in the words of the core's own checks. */
  function validate(s) {
    for (const [key, field] of Object.entries(FIELD_OF)) {
      const why = core.check_setting(field, s[key]);
      // "batch_size must be …" in the form's own words: "Batch size must be …".
      if (why) return `${inputs[key].parentElement.firstChild.textContent.trim()}${why.slice(field.length)}.`;
    }
    if (s.threads !== 1 && s.threads !== 2) return 'Workers must be 1 or 2.';
    if (!archValid) return 'The architecture cannot run: fix it below.';
    return core.check_config(workerSettings(s, spec).config) ?? '';
  }

  const say = statusLine(status);
  let shownProblem = ''; // the form's complaint on show, if any

  /** Whether Start makes a new model: the current one is untrained, or the form's network differs. */
  function startsFresh() {
    return !model || isUntrained(model) || !core.same_architecture(spec, model.spec);
  }

  /** Says what Start will do with the model as it is and the settings as they are. */
  function updatePlan() {
    const idle = state === 'idle' || state === 'done';
    let text = '';
    if (idle && model && archValid) {
      const epochs = `${inputs.epochs.value} epoch${inputs.epochs.value === '1' ? '' : 's'}`;
      if (isUntrained(model)) text = `Start trains a new model for ${epochs} with these settings.`;
      else if (startsFresh()) text = `The architecture above is not the current model's: Start begins a new, untrained model with it (download the current one first to keep it).`;
      else text = `Start trains the current model ${epochs} more with these settings; Reset begins a new, untrained one.`;
    }
    plan.textContent = text;
    panel.dataset.plan = idle ? (startsFresh() ? 'new' : 'continue') : '';
  }

  /** A setting or the architecture changed: it goes into the URL, and what Start does is said. */
  function changed() {
    settings = read();
    writeHash(settings, spec, recipes);
    const problem = validate(settings);
    // A complaint is said once (not again over the worker's newer news), and only the form's
    // own goes when the form is right again.
    if (problem && problem !== shownProblem) say(problem, 'error');
    else if (!problem && shownProblem && status.textContent === shownProblem) say('');
    shownProblem = problem;
    updatePlan();
    updateButtons();
  }

  function updateButtons() {
    const invalid = Boolean(validate(read()));
    const busy = ['training', 'paused', 'stopping', 'evaluating'].includes(state);
    buttons.start.disabled = busy || invalid || !model;
    buttons.pause.disabled = state !== 'training';
    buttons.resume.disabled = state !== 'paused';
    buttons.stop.disabled = state !== 'training' && state !== 'paused';
    buttons.reset.disabled = invalid || state === 'evaluating' || state === 'stopping' || !model;
    buttons.evaluate.disabled = ['training', 'stopping', 'evaluating'].includes(state) || !model;
    // The device changes between runs: the model moves to another worker.
    inputs.device.disabled = busy || !model;
    panel.dataset.state = state;
  }

  /** Shows the form as the model's own: its network, and (when asked) the settings it was trained with. */
  function adopt(m, withSettings) {
    const s = withSettings ? settingsOf(m.history, read()) : read();
    // A recipe keeps its name only while the network and every setting are the recipe's.
    const matches = (name) => recipes[name] && core.same_architecture(m.spec, recipes[name].spec)
      && RECIPE_SETTINGS.every((k) => recipes[name][k] === s[k]);
    s.recipe = matches(s.recipe) ? s.recipe : (Object.keys(recipes).find(matches) ?? 'custom');
    show(s);
    editor.set(m.spec); // which reports the change
  }

  for (const el of Object.values(inputs)) el.addEventListener('change', changed);
  recipe.addEventListener('change', () => {
    const r = recipes[recipe.value];
    if (r) {
      show({ ...r, threads: Number(inputs.threads.value), device: inputs.device.value, recipe: recipe.value });
      editor.set(r.spec);
    }
    changed();
  });
  // The learning rate and batch size can change while training.
  inputs.lr.addEventListener('change', () => { if (validate(read()) === '') app.send('set', { lr: Number(inputs.lr.value) }); });
  inputs.batch.addEventListener('change', () => { if (validate(read()) === '') app.send('set', { batchSize: Number(inputs.batch.value) }); });
  inputs.epochs.addEventListener('change', () => { if (validate(read()) === '') app.send('set', { epochs: Number(inputs.epochs.value) }); });
  inputs.threads.addEventListener('change', () => { if (validate(read()) === '') app.send('set', { threads: Number(inputs.threads.value) }); });
  // Another device is another worker (with the GPU build, or without): the model goes with it.
  inputs.device.addEventListener('change', () => {
    deviceStatus.textContent = inputs.device.value === 'gpu' ? 'Moving to the GPU…' : 'Moving to the CPU…';
    app.switchDevice(inputs.device.value);
  });
  const gpuOption = inputs.device.querySelector('option[value="gpu"]');
  probeGpu().then((gpu) => {
    gpuOption.disabled = !gpu.available;
    gpuOption.textContent = !gpu.available ? `WebGPU (unavailable: ${gpu.reason})`
      : gpu.software ? `WebGPU: ${gpu.name} (software, slower than the CPU)` : `WebGPU: ${gpu.name}`;
  });

  function clearResults() {
    showing = '';
    $('test-accuracy').textContent = '';
    $('confusion').replaceChildren();
    $('per-class').replaceChildren();
    $('misclassified').replaceChildren();
    $('epoch-results').hidden = true;
    bar.value = 0;
    barText.textContent = '';
  }

  /** The charts from the model's history: its training curve and its per-epoch test scores. */
  function drawHistory(history) {
    const tested = history.epochs.filter((e) => e.test);
    lossChart.set(0, history.curve.map(([x, loss]) => [x, loss]));
    lossChart.set(1, tested.map((e) => [e.at, e.test.loss]));
    accChart.set(0, history.curve.map(([x, , accuracy]) => [x, accuracy]));
    accChart.set(1, tested.map((e) => [e.at, e.test.accuracy]));
    panel.dataset.curvePoints = String(history.curve.length);
  }

  /** A test report: accuracy, confusion matrix, per-digit accuracy, misclassified digits. */
  function showReport(kind, heading, test) {
    showing = kind;
    $('epoch-results').hidden = false;
    const note = dataset?.test_note ? ` — ${dataset.test_note}` : '';
    $('test-accuracy').textContent = `${heading}: test accuracy ${percent(test.accuracy)} (${test.correct.toLocaleString('en')} of ${test.total.toLocaleString('en')})${note}`;
    panel.dataset.testAccuracy = String(test.accuracy);
    panel.dataset.testCorrect = String(test.correct);
    const names = dataset?.classes ?? [];
    renderConfusion($('confusion'), $('per-class'), test.confusion, names);
    renderMisclassified($('misclassified'), app, test.misclassified, names);
  }

  buttons.start.addEventListener('click', () => {
    clearResults(); // they described the model before this run
    app.send('start', { settings: workerSettings(read(), spec), fresh: startsFresh() });
  });
  // "Teach it" (teach.js) trains what it made here, so these charts show it: enough epochs of
  // the drawings for its steps, with the form's other settings.
  app.on('teachTrain', ({ steps, train }) => {
    const perEpoch = Math.ceil(train / Number(inputs.batch.value));
    inputs.epochs.value = String(Math.max(1, Math.ceil(steps / perEpoch)));
    changed();
    buttons.start.click();
  });
  buttons.pause.addEventListener('click', () => app.send('pause'));
  buttons.resume.addEventListener('click', () => app.send('resume'));
  buttons.stop.addEventListener('click', () => app.send('stop'));
  buttons.reset.addEventListener('click', () => {
    clearResults();
    app.send('reset', { settings: workerSettings(read(), spec) });
    say('A fresh, untrained model.');
  });
  buttons.evaluate.addEventListener('click', async () => {
    say(`Measuring the model on the ${(dataset?.test ?? 0).toLocaleString('en')} test images…`);
    try {
      const test = await app.request('evaluate');
      showReport('evaluation', 'The current model', test);
      say('');
      panel.dataset.evaluations = String(++evaluations);
    } catch (err) {
      say(`Could not evaluate: ${err.message}.`, 'error');
    }
    bar.value = 0;
    barText.textContent = '';
  });

  app.on('state', ({ state: s }) => {
    const was = state;
    state = s;
    updateButtons();
    updatePlan();
    if (s === 'paused') say('Paused. Resume continues where it stopped.');
    if (s === 'training') say('Training in a Web Worker…');
    if (s === 'stopping') say('Stopping: the model is being kept…');
    // A report on "the current model" stops being one once its weights move.
    if (s === 'training' && showing === 'evaluation') clearResults();
    if (s === 'idle' && ['training', 'paused', 'stopping'].includes(was)) {
      say(`Stopped: ${kept()}`, 'ok');
      bar.value = 0;
      barText.textContent = '';
    }
    if (s === 'done') {
      say(`Done: ${kept()}`, 'ok');
      bar.value = 1;
    }
  });
  const retry = $('data-retry');
  const failed = new Set(); // splits whose download failed
  retry.addEventListener('click', () => {
    failed.clear();
    retry.hidden = true;
    dataStatus.classList.remove('error');
    dataStatus.textContent = `Downloading ${dataset?.name ?? 'the data'} again…`;
    app.send('retryData');
  });
  app.on('dataError', ({ split, message }) => {
    failed.add(split);
    const what = split === 'train' ? 'training' : 'test';
    dataStatus.textContent = `The ${dataset?.name ?? ''} ${what} images could not be downloaded (${message}). What arrived is kept; ${split === 'train' ? 'training waits for the rest' : 'test scores wait for them'}. Check the connection and retry.`;
    dataStatus.classList.add('error');
    retry.hidden = false;
  });
  const transferred = { train: 0, test: 0 };
  const sources = { train: '', test: '' };
  app.on('data', ({ split, name, loaded, total, bytes, bytesTotal, source }) => {
    panel.dataset[`${split}Loaded`] = String(loaded);
    transferred[split] = bytes;
    sources[split] = source;
    panel.dataset[`${split}Source`] = source;
    if (failed.size) return; // the failure stays in view until Retry
    const pct = Math.round((100 * bytes) / (bytesTotal || 1));
    const what = split === 'train' ? 'training' : 'test';
    const mb = ((transferred.train + transferred.test) / 1e6).toFixed(1);
    const from = sources.train === 'cache' && sources.test === 'cache'
      ? "from this browser's copy: no download"
      : `from the network: ${mb} MB, kept in this browser for the next visit`;
    dataStatus.textContent = total === 0
      ? `Downloading ${name}: ${(bytes / 1e6).toFixed(1)} of ${(bytesTotal / 1e6).toFixed(1)} MB (${pct}%)`
      : loaded < total
        ? `${source === 'cache' ? "Reading this browser's copy of" : 'Downloading'} the ${name} ${what} images: ${loaded.toLocaleString('en')} of ${total.toLocaleString('en')} (${pct}%)`
        : `${name} loaded: ${Number(panel.dataset.trainLoaded ?? 0).toLocaleString('en')} training and ${Number(panel.dataset.testLoaded ?? 0).toLocaleString('en')} test images, ${from}.`;
  });
  app.on('progress', (p) => {
    const done = (p.epoch - 1 + p.epochProgress) / p.epochs;
    bar.value = done;
    const eta = Number.isFinite(p.etaSeconds) ? `${Math.floor(p.etaSeconds / 60)}:${String(Math.round(p.etaSeconds % 60)).padStart(2, '0')} left` : '';
    barText.textContent = `epoch ${p.epoch}/${p.epochs} · ${(100 * p.epochProgress).toFixed(0)}% · loss ${p.loss.toFixed(4)} · ${Math.round(p.imagesPerSecond).toLocaleString('en')} images/s · ${eta}`;
    // A long history was thinned: its whole curve comes again (the test scores stay).
    if (p.redraw) {
      lossChart.set(0, []);
      accChart.set(0, []);
    }
    for (const [x, loss, accuracy] of p.points) {
      lossChart.add(0, x, loss);
      accChart.add(0, x, accuracy);
    }
    panel.dataset.steps = String(p.steps);
  });
  app.on('evaluating', ({ evaluated, total }) => {
    barText.textContent = `Measuring on the test set: ${evaluated.toLocaleString('en')} of ${total.toLocaleString('en')} images`;
    if (state === 'evaluating') bar.value = evaluated / total;
  });
  app.on('epoch', ({ record, test }) => {
    panel.dataset.epochsDone = String(record.epoch);
    barText.textContent = `epoch ${record.epoch} done${test ? ` · test accuracy ${percent(test.accuracy)}` : ''}`;
    if (!test) return;
    lossChart.add(1, record.at, test.loss);
    accChart.add(1, record.at, test.accuracy);
    showReport('epoch', `After epoch ${record.epoch}`, test);
  });
  app.on('threads', ({ threads, reason }) => {
    panel.dataset.threads = String(threads);
    threadsStatus.textContent = threads > 1
      ? 'Training on 2 workers: each computes half of every batch.'
      : `Training on 1 worker: ${reason}.`;
  });
  app.on('device', ({ device, info, reason }) => {
    panel.dataset.device = device;
    inputs.device.value = device;
    deviceStatus.textContent = device === 'gpu'
      ? `Training on the GPU: ${info.name}${info.software ? ' — a software adapter, slower than the CPU' : ''}.`
      : reason ? `Training on the CPU: ${reason}.` : '';
    // Into the URL, leaving the panel's messages as they are.
    settings = read();
    writeHash(settings, spec, recipes);
  });
  app.on('storage', ({ ok }) => { storageOk = ok; });
  // The worker is gone: nothing runs, and nothing can start until it is restarted.
  app.on('crash', () => {
    model = null;
    state = 'idle';
    updatePlan();
    updateButtons();
  });
  app.on('error', ({ message, diverged }) => {
    say(diverged ? `${message} Training stopped; the model before this step is kept.` : message, 'error');
  });
  app.on('dataset', ({ about, choice }) => {
    dataset = about;
    editor.setData(about);
    panel.dataset.dataset = about.name;
    // A dataset the user brought has no download to report.
    if (choice.kind === 'stored') {
      dataStatus.classList.remove('error');
      dataStatus.textContent = `${about.name}: ${about.train.toLocaleString('en')} training and ${about.test.toLocaleString('en')} test images, kept in this browser.`;
      panel.dataset.trainLoaded = String(about.train);
      panel.dataset.testLoaded = String(about.test);
    }
    // Into the URL: a link names the dataset (a built-in's key, or the name of one kept here).
    settings = { ...read(), data: choice.key ?? choice.name };
    writeHash(settings, spec, recipes);
    $('per-class-title').textContent = `Accuracy per class of ${about.name}`;
  });
  app.on('model', (m) => {
    model = m;
    panel.dataset.params = String(m.params);
    panel.dataset.steps = String(m.history.steps);
    drawHistory(m.history);
    if (['uploaded', 'restored', 'reset', 'data'].includes(m.reason)) clearResults();
    // An upload is the model the user wants to go on with: the form shows its network. A model
    // restored on a plain visit comes back with its settings; a link's settings are kept.
    if (m.reason === 'uploaded') adopt(m, false);
    if (m.reason === 'restored' && !fromLink) adopt(m, true);
    if (m.reason === 'restored') say(`Restored the model kept in this browser (saved ${new Date(/** @type {{savedAt: number}} */ (m.restored).savedAt).toLocaleString()}).`, 'ok');
    if (m.reason === 'uploaded') say('Loaded the uploaded model: Start trains it further, Evaluate measures it on the test set.', 'ok');
    updatePlan();
    updateButtons();
  });

  show(settings);
  editor.set(spec);
  updateButtons();
}

function renderConfusion(table, perClass, confusion, names) {
  const k = Math.round(Math.sqrt(confusion.length));
  const name = (c) => names[c] ?? String(c);
  const max = Math.max(...confusion);
  const head = document.createElement('tr');
  head.append(cell('th', 'true ↓ predicted →'));
  for (let j = 0; j < k; j++) head.append(cell('th', name(j)));
  const rows = [head];
  const accs = [];
  for (let i = 0; i < k; i++) {
    const tr = document.createElement('tr');
    tr.append(cell('th', name(i)));
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
  perClass.replaceChildren(...accs.map((a, c) => {
    const row = document.createElement('div');
    row.className = 'bar-row';
    const label = cell('span', name(c));
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

async function renderMisclassified(gallery, app, misclassified, names) {
  const name = (c) => names[c] ?? String(c);
  const items = await Promise.all(misclassified.slice(0, 32).map(async (m) => {
    const { pixels, shape } = await app.request('testImage', { index: m.index });
    // As the dataset holds it: MNIST's white ink on black, a photo in its colours.
    return imageFigure(pixels, shape, `${name(m.label)}→${name(m.predicted)}`, `test image ${m.index}: ${name(m.label)}, predicted ${name(m.predicted)}`);
  })).catch(() => []);
  gallery.replaceChildren(...items);
  if (!misclassified.length) gallery.replaceChildren(Object.assign(document.createElement('p'), { className: 'hint', textContent: 'None: every test image was read right.' }));
}
