// @ts-check
// The training panel's report: the model's loss and accuracy curves (its history, so they come
// back after a reload or an upload), and a test report — after each epoch or an evaluation of
// any model — of the test accuracy, a confusion matrix and per-class accuracy under the
// dataset's class names, and the misclassified images as they are (in colour for colour data).
import { LineChart } from '../chart.js';
import { imageFigure } from '../colormap.js';
import { percent } from '../model-story.js';
/** @import { App } from '../app.js' */
/** @import { About, TestReport } from '../protocol.js' */

export class TrainReport {
  /**
   * @param {HTMLElement} panel
   * @param {(id: string) => any} $  the panel's elements by test id
   * @param {App} app
   */
  constructor(panel, $, app) {
    this.panel = panel;
    this.$ = $;
    this.app = app;
    this.loss = new LineChart($('chart-loss'), {
      series: [{ name: 'train loss' }, { name: 'test loss' }], xLabel: 'epochs',
    });
    this.accuracy = new LineChart($('chart-accuracy'), {
      series: [{ name: 'train accuracy' }, { name: 'test accuracy' }], yRange: [0, 1], xLabel: 'epochs',
      format: (v, decimals) => `${(100 * v).toFixed(Math.max(0, decimals - 2))}%`,
    });
    /** @type {any} */ (panel).charts = { loss: this.loss, accuracy: this.accuracy };
    /** What the shown test report describes: 'epoch', 'evaluation', or nothing. */
    this.showing = '';
    /** @type {About | null} the dataset in use, for its class names and test note */
    this.dataset = null;
  }

  /** Takes away the test report (it described the model before this run). */
  clear() {
    const $ = this.$;
    this.showing = '';
    $('test-accuracy').textContent = '';
    $('confusion').replaceChildren();
    $('per-class').replaceChildren();
    $('misclassified').replaceChildren();
    $('epoch-results').hidden = true;
  }

  /** The charts from the model's history: its training curve and its per-epoch test scores. */
  drawHistory(history) {
    const tested = history.epochs.filter((e) => e.test);
    this.loss.set(0, history.curve.map(([x, loss]) => [x, loss]));
    this.loss.set(1, tested.map((e) => [e.at, e.test.loss]));
    this.accuracy.set(0, history.curve.map(([x, , accuracy]) => [x, accuracy]));
    this.accuracy.set(1, tested.map((e) => [e.at, e.test.accuracy]));
    this.panel.dataset.curvePoints = String(history.curve.length);
  }

  /** New points of the training curve; `redraw`: a long history was thinned, its whole curve comes again. */
  addPoints(points, redraw) {
    if (redraw) {
      this.loss.set(0, []);
      this.accuracy.set(0, []);
    }
    for (const [x, loss, accuracy] of points) {
      this.loss.add(0, x, loss);
      this.accuracy.add(0, x, accuracy);
    }
  }

  /** An epoch's test score on the curves, and its report. */
  addEpoch(record, test) {
    this.loss.add(1, record.at, test.loss);
    this.accuracy.add(1, record.at, test.accuracy);
    this.show('epoch', `After epoch ${record.epoch}`, test);
  }

  /**
   * A test report: accuracy, confusion matrix, per-class accuracy, misclassified images.
   * @param {'epoch' | 'evaluation'} kind
   * @param {string} heading
   * @param {TestReport} test
   */
  show(kind, heading, test) {
    const $ = this.$;
    this.showing = kind;
    $('epoch-results').hidden = false;
    const note = this.dataset?.test_note ? ` — ${this.dataset.test_note}` : '';
    $('test-accuracy').textContent = `${heading}: test accuracy ${percent(test.accuracy)} (${test.correct.toLocaleString('en')} of ${test.total.toLocaleString('en')})${note}`;
    this.panel.dataset.testAccuracy = String(test.accuracy);
    this.panel.dataset.testCorrect = String(test.correct);
    const names = this.dataset?.classes ?? [];
    renderConfusion($('confusion'), $('per-class'), test.confusion, names);
    renderMisclassified($('misclassified'), this.app, test.misclassified, names);
  }
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
