// @ts-check
// The training panel: its form (train-form.js: the recipe, the settings, the architecture, kept
// in the address so a setup can be shared), the run — start / pause / resume / stop / reset /
// evaluate, what Start will do, live progress, the data's arrival, the workers and the device —
// and its report (train-report.js: the curves and the test reports).
import { isUntrained, percent, showModelStory } from '../model-story.js';
import { probeGpu } from '../gpu.js';
import { byTestId, statusLine } from '../panel.js';
import { TrainForm } from './train-form.js';
import { TrainReport } from './train-report.js';
/** @import { App } from '../app.js' */
/** @import { About, ModelEvent, Spec } from '../protocol.js' */

/**
 * @param {HTMLElement} panel
 * @param {App} app
 * @param {any} core
 * @param {{settings: Record<string, any>, spec: Spec, fromLink: boolean}} initial
 */
export function setupTrain(panel, app, core, initial) {
  const $ = byTestId(panel);
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
  const report = new TrainReport(panel, $, app);
  const form = new TrainForm($, app, core, initial, () => changed());
  let state = 'idle';
  /** @type {ModelEvent | null} the worker's latest `model` event */
  let model = null;
  let evaluations = 0;
  let storageOk = true;
  /** @type {About | null} the dataset in use */
  let dataset = null;
  const kept = () => (storageOk
    ? 'the model is kept in this browser and restored on reload.'
    : 'this browser cannot keep the model, so download it in Save and load to keep it.');
  showModelStory($('train-model'), app);

  const say = statusLine(status);
  let shownProblem = ''; // the form's complaint on show, if any

  /** Whether Start makes a new model: the current one is untrained, or the form's network differs. */
  function startsFresh() {
    return !model || isUntrained(model) || !core.same_architecture(form.spec, model.spec);
  }

  /** Says what Start will do with the model as it is and the settings as they are. */
  function updatePlan() {
    const idle = state === 'idle' || state === 'done';
    let text = '';
    if (idle && model && form.archValid) {
      const n = form.inputs.epochs.value;
      const epochs = `${n} epoch${n === '1' ? '' : 's'}`;
      if (isUntrained(model)) text = `Start trains a new model for ${epochs} with these settings.`;
      else if (startsFresh()) text = `The architecture above is not the current model's: Start begins a new, untrained model with it (download the current one first to keep it).`;
      else text = `Start trains the current model ${epochs} more with these settings; Reset begins a new, untrained one.`;
    }
    plan.textContent = text;
    panel.dataset.plan = idle ? (startsFresh() ? 'new' : 'continue') : '';
  }

  /** A setting or the architecture changed: what Start does is said, and what is wrong. */
  function changed() {
    const problem = form.problem();
    // A complaint is said once (not again over the worker's newer news), and only the form's
    // own goes when the form is right again.
    if (problem && problem !== shownProblem) say(problem, 'error');
    else if (!problem && shownProblem && status.textContent === shownProblem) say('');
    shownProblem = problem;
    updatePlan();
    updateButtons();
  }

  function updateButtons() {
    const invalid = Boolean(form.problem());
    const busy = ['training', 'paused', 'stopping', 'evaluating'].includes(state);
    buttons.start.disabled = busy || invalid || !model;
    buttons.pause.disabled = state !== 'training';
    buttons.resume.disabled = state !== 'paused';
    buttons.stop.disabled = state !== 'training' && state !== 'paused';
    buttons.reset.disabled = invalid || state === 'evaluating' || state === 'stopping' || !model;
    buttons.evaluate.disabled = ['training', 'stopping', 'evaluating'].includes(state) || !model;
    // The device changes between runs: the model moves to another worker.
    form.inputs.device.disabled = busy || !model;
    panel.dataset.state = state;
  }

  // Another device is another worker (with the GPU build, or without): the model goes with it.
  form.inputs.device.addEventListener('change', () => {
    deviceStatus.textContent = form.inputs.device.value === 'gpu' ? 'Moving to the GPU…' : 'Moving to the CPU…';
    app.switchDevice(form.inputs.device.value);
  });
  const gpuOption = form.inputs.device.querySelector('option[value="gpu"]');
  probeGpu().then((gpu) => {
    gpuOption.disabled = !gpu.available;
    gpuOption.textContent = !gpu.available ? `WebGPU (unavailable: ${gpu.reason})`
      : gpu.software ? `WebGPU: ${gpu.name} (software, slower than the CPU)` : `WebGPU: ${gpu.name}`;
  });

  /** The test report and the progress bar go: they described the model before this. */
  function clearResults() {
    report.clear();
    bar.value = 0;
    barText.textContent = '';
  }

  buttons.start.addEventListener('click', () => {
    clearResults();
    app.send('start', { settings: form.workerSettings(), fresh: startsFresh() });
  });
  // "Teach it" (teach.js) trains what it made here, so these charts show it: enough epochs of
  // the drawings for its steps, with the form's other settings.
  app.on('teachTrain', ({ steps, train }) => {
    const perEpoch = Math.ceil(train / Number(form.inputs.batch.value));
    form.inputs.epochs.value = String(Math.max(1, Math.ceil(steps / perEpoch)));
    form.changed();
    buttons.start.click();
  });
  buttons.pause.addEventListener('click', () => app.send('pause'));
  buttons.resume.addEventListener('click', () => app.send('resume'));
  buttons.stop.addEventListener('click', () => app.send('stop'));
  buttons.reset.addEventListener('click', () => {
    clearResults();
    app.send('reset', { settings: form.workerSettings() });
    say('A fresh, untrained model.');
  });
  buttons.evaluate.addEventListener('click', async () => {
    say(`Measuring the model on the ${(dataset?.test ?? 0).toLocaleString('en')} test images…`);
    try {
      const test = await app.request('evaluate');
      report.show('evaluation', 'The current model', test);
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
    if (s === 'training' && report.showing === 'evaluation') clearResults();
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
    report.addPoints(p.points, p.redraw);
    panel.dataset.steps = String(p.steps);
  });
  app.on('evaluating', ({ evaluated, total }) => {
    barText.textContent = `Measuring on the test set: ${evaluated.toLocaleString('en')} of ${total.toLocaleString('en')} images`;
    if (state === 'evaluating') bar.value = evaluated / total;
  });
  app.on('epoch', ({ record, test }) => {
    panel.dataset.epochsDone = String(record.epoch);
    barText.textContent = `epoch ${record.epoch} done${test ? ` · test accuracy ${percent(test.accuracy)}` : ''}`;
    if (test) report.addEpoch(record, test);
  });
  app.on('threads', ({ threads, reason }) => {
    panel.dataset.threads = String(threads);
    threadsStatus.textContent = threads > 1
      ? 'Training on 2 workers: each computes half of every batch.'
      : `Training on 1 worker: ${reason}.`;
  });
  app.on('device', ({ device, info, reason }) => {
    panel.dataset.device = device;
    form.inputs.device.value = device;
    deviceStatus.textContent = device === 'gpu'
      ? `Training on the GPU: ${info.name}${info.software ? ' — a software adapter, slower than the CPU' : ''}.`
      : reason ? `Training on the CPU: ${reason}.` : '';
    // Into the address, leaving the panel's messages as they are.
    form.remember();
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
    report.dataset = about;
    form.editor.setData(about);
    panel.dataset.dataset = about.name;
    // A dataset the user brought has no download to report.
    if (choice.kind === 'stored') {
      dataStatus.classList.remove('error');
      dataStatus.textContent = `${about.name}: ${about.train.toLocaleString('en')} training and ${about.test.toLocaleString('en')} test images, kept in this browser.`;
      panel.dataset.trainLoaded = String(about.train);
      panel.dataset.testLoaded = String(about.test);
    }
    // Into the address: a link names the dataset (a built-in's key, or the name of one kept here).
    form.remember({ data: choice.key ?? choice.name });
    $('per-class-title').textContent = `Accuracy per class of ${about.name}`;
  });
  app.on('model', (m) => {
    model = m;
    panel.dataset.params = String(m.params);
    panel.dataset.steps = String(m.history.steps);
    report.drawHistory(m.history);
    if (['uploaded', 'restored', 'reset', 'data'].includes(m.reason)) clearResults();
    // An upload is the model the user wants to go on with: the form shows its network. A model
    // restored on a plain visit comes back with its settings; a link's settings are kept.
    if (m.reason === 'uploaded') form.adopt(m, false);
    if (m.reason === 'restored' && !initial.fromLink) form.adopt(m, true);
    if (m.reason === 'restored') say(`Restored the model kept in this browser (saved ${new Date(/** @type {{savedAt: number}} */ (m.restored).savedAt).toLocaleString()}).`, 'ok');
    if (m.reason === 'uploaded') say('Loaded the uploaded model: Start trains it further, Evaluate measures it on the test set.', 'ok');
    updatePlan();
    updateButtons();
  });


  form.start();
  updateButtons();
}
