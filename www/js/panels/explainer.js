// @ts-check
// The convolution explainer: the tutorial's three animations as a step-through. The kernel's
// window slides over the (padded) input; at each output cell the panel spells out the products
// under the window and their sum. Every number, the sizes, the padding and the stride can be
// edited. The output grid is always the Rust core's conv2d; the JS only shows the arithmetic.
import { CASES } from '../conv-cases.js';
import { outputSize, receptiveField } from '../conv-window.js';
import { buildStage, buildOutput, formatNumber, parseNumber } from './explainer-grids.js';
import { byTestId } from '../panel.js';

const TICK_MS = 900;
// Larger values would not fit in a cell.
const VALUE_LIMIT = 9999;
// The size controls' ranges, small enough for a phone screen. A stride of 0 is let through on
// purpose: the core's own check says why it cannot work.
const CONTROLS = {
  size: { testid: 'explainer-input-size', name: 'Input size', min: 1, max: 8 },
  kernel: { testid: 'explainer-kernel-size', name: 'Kernel size', min: 1, max: 7 },
  padding: { testid: 'explainer-padding', name: 'Padding', min: 0, max: 3 },
  stride: { testid: 'explainer-stride', name: 'Stride', min: 0, max: 8, shown: 1 },
};

export async function setupExplainer(panel, core) {
  const $ = byTestId(panel);
  const select = $('explainer-case');
  const inputsBox = panel.querySelector('.conv-inputs');
  const outputBox = panel.querySelector('.conv-output');
  const transport = [...panel.querySelectorAll('.explainer-transport button')];

  // The convolution being explained: input (C, size, size), weight (1, C, kernel, kernel),
  // bias (a number, or null for none), stride, padding. Always the last valid values.
  let conv;
  let pos = 0; // the output cell under the window, row-major
  /** @type {{oh: number, ow: number, data: Float32Array} | null} from the core; null while something is wrong */
  let output = null;
  const problems = new Map(); // what is wrong, keyed by where; the first one is shown
  let inputCells = []; // per channel, the padded input grid's cells
  /** @type {{cells: HTMLElement[], oh: number, ow: number}} */
  let out = { cells: [], oh: -1, ow: -1 };
  /** @type {any} the interval while it plays */
  let timer = null;

  for (const [id, c] of Object.entries(CASES)) select.add(new Option(c.label, id));

  function load(id) {
    const c = CASES[id];
    stop();
    conv = {
      channels: c.channels, size: c.size, kernel: c.kernel, input: [...c.input],
      weight: [...c.weight], bias: c.bias, stride: c.stride, padding: c.padding,
    };
    for (const [key, { testid }] of Object.entries(CONTROLS)) $(testid).value = String(conv[key]);
    problems.clear();
    pos = 0;
    rebuild();
  }

  /** New grids for new sizes: cell edits not yet valid are dropped with their old grid. */
  function rebuild() {
    for (const key of [...problems.keys()]) if (key.startsWith('cell:')) problems.delete(key);
    const stage = buildStage(conv);
    inputCells = stage.inputCells;
    inputsBox.replaceChildren(stage.inputFigure, stage.kernelFigure);
    refresh();
  }

  function refresh() {
    compute();
    paint();
  }

  function compute() {
    output = null;
    problems.delete('core');
    if (problems.size) return;
    const { channels, size, kernel } = conv;
    try {
      const y = core.conv2d(
        new Float32Array(conv.input), new Uint32Array([1, channels, size, size]),
        new Float32Array(conv.weight), new Uint32Array([1, channels, kernel, kernel]),
        conv.bias === null ? undefined : new Float32Array([conv.bias]),
        conv.stride, conv.padding,
      );
      const [, , oh, ow] = y.shape;
      output = { oh, ow, data: y.data };
      y.free();
    } catch (err) {
      problems.set('core', `Cannot convolve: ${err.message ?? err}`);
    }
  }

  function paint() {
    const oh = output?.oh ?? 0;
    const ow = output?.ow ?? 0;
    if (oh !== out.oh || ow !== out.ow) {
      const { el, cells } = buildOutput(oh, ow);
      out = { cells, oh, ow };
      outputBox.replaceChildren(el);
    }
    if (output) pos = Math.max(0, Math.min(pos, oh * ow - 1));
    const oy = Math.floor(pos / Math.max(ow, 1));
    const ox = pos % Math.max(ow, 1);
    out.cells.forEach((cell, i) => {
      const v = /** @type {NonNullable<typeof output>} */ (output).data[i]; // no output, no cells
      cell.textContent = formatNumber(v);
      cell.dataset.value = String(v);
      cell.classList.toggle('current', i === pos);
      cell.classList.toggle('pending', i > pos); // not reached yet: dimmed, as in the animation
      cell.setAttribute('aria-label', `output row ${Math.floor(i / ow)}, column ${i % ow}: ${cell.textContent}`);
      cell.setAttribute('aria-current', String(i === pos));
    });

    const field = output ? receptiveField(conv, oy, ox) : null;
    paintWindow(field);
    paintFormula(field, oy, ox);
    $('explainer-output-caption').textContent = output ? `Output 1×${oh}×${ow}` : 'Output: none';
    $('explainer-position').textContent = field
      ? `Step ${pos + 1} of ${oh * ow}: output g[${oy},${ox}], window centred on input f[${field.centre}]`
      : '';
    $('explainer-size').textContent = sizeText();
    const problem = problems.values().next().value ?? '';
    $('explainer-error').textContent = problem;
    $('explainer-error').classList.toggle('error', problem !== '');
    for (const b of transport) b.disabled = !output;
    $('explainer-pause').disabled = timer === null; // nothing to pause unless it plays
    $('explainer-play').setAttribute('aria-pressed', String(timer !== null));
    panel.dataset.position = field ? `${oy},${ox}` : '';
    panel.dataset.playing = String(timer !== null);
  }

  /** The window on the padded input, each cell labelled with the kernel weight it meets. */
  function paintWindow(field) {
    for (const cell of inputCells.flat()) {
      cell.classList.remove('window', 'centre');
      delete cell.dataset.weight;
    }
    if (!field) return;
    const n = conv.size + 2 * conv.padding;
    for (const t of field.terms) {
      const cell = inputCells[t.c][(t.row + conv.padding) * n + t.col + conv.padding];
      cell.classList.add('window');
      cell.classList.toggle('centre', t.row === field.centre[0] && t.col === field.centre[1]);
      cell.dataset.weight = `×${formatNumber(t.h)}`;
    }
  }

  /** g[y,x] = f·h + f·h + … + bias b = sum, one line per input channel. */
  function paintFormula(field, oy, ox) {
    const formula = $('explainer-formula');
    formula.replaceChildren();
    formula.classList.toggle('multi', conv.channels > 1);
    if (!field) return;
    const span = (cls, text) => Object.assign(document.createElement('span'), { className: cls, textContent: text });
    const factor = (v) => (v < 0 ? `(${formatNumber(v)})` : formatNumber(v));
    formula.append(span('lhs', `g[${oy},${ox}] = `));
    for (let c = 0; c < conv.channels; c++) {
      const line = span('line', '');
      for (const t of field.terms.filter((t) => t.c === c)) {
        if (t.c > 0 || t.k > 0 || t.l > 0) line.append(' + ');
        const term = span(t.padding ? 'term pad' : 'term', '');
        term.append(span('f', factor(t.f)), '·', span('h', factor(t.h)));
        if (t.padding) term.title = 'padding: f is 0 here';
        line.append(term);
      }
      formula.append(line);
    }
    const tail = span('line', '');
    if (field.bias !== null) tail.append(' + ', span('b', `bias ${formatNumber(field.bias)}`));
    tail.append(' = ', span('sum', formatNumber(field.sum)));
    formula.append(tail);
  }

  function sizeText() {
    const general = 'OH = ⌊(H + 2·P − K)/S⌋ + 1';
    if ([...problems.keys()].some((k) => k in CONTROLS)) return general;
    const { size: H, kernel: K, padding: P, stride: S } = conv;
    const worked = `${general} = ⌊(${H} + 2·${P} − ${K})/${S}⌋ + 1`;
    const o = outputSize(H, K, P, S);
    if (o === null) {
      return `${worked}: no output, ${S < 1 ? 'a stride of 0 never moves the window' : 'the kernel is larger than the padded input'}.`;
    }
    return `${worked} = ${o}; the same for OW, so the output is 1×${o}×${o}.`;
  }

  function go(i) {
    pos = Math.max(0, Math.min(i, out.cells.length - 1));
    paint();
  }

  function play() {
    if (!output || timer) return;
    if (pos >= out.cells.length - 1) pos = 0; // from the end, play again from the start
    timer = setInterval(() => {
      pos += 1;
      if (pos >= out.cells.length - 1) stop();
      paint();
    }, TICK_MS);
    paint();
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    if (output) paint();
  }

  /** Validates a size control; a bad value is reported and the last good one kept. */
  function onControl(key) {
    const { testid, name, min, max, shown = min } = CONTROLS[key];
    const el = $(testid);
    const v = Number(el.value);
    if (el.value.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
      problems.set(key, `${name} must be a whole number from ${shown} to ${max}.`);
      stop();
      refresh();
      return;
    }
    problems.delete(key);
    if (key === 'size') conv.input = regrid(conv.input, conv.channels, conv.size, v);
    if (key === 'kernel') conv.weight = regrid(conv.weight, conv.channels, conv.kernel, v);
    conv[key] = v;
    if (key === 'stride') refresh();
    else rebuild();
  }

  /** A cell of the input or the kernel, or the bias (empty means none), edited. */
  function onCell(el) {
    const key = `cell:${el.getAttribute('data-testid')}`;
    const tensor = el.dataset.tensor;
    const v = parseNumber(el.value);
    if (tensor === 'bias' && el.value.trim() === '') {
      conv.bias = null;
    } else if (!Number.isFinite(v) || Math.abs(v) > VALUE_LIMIT) {
      const where = el.getAttribute('aria-label') ?? 'The bias';
      problems.set(key, `${where[0].toUpperCase()}${where.slice(1)}: “${el.value}” is not a number from −${VALUE_LIMIT} to ${VALUE_LIMIT}.`);
      el.setAttribute('aria-invalid', 'true');
      stop();
      refresh();
      return;
    } else if (tensor === 'bias') {
      conv.bias = v;
    } else {
      conv[tensor][Number(el.dataset.index)] = v;
    }
    problems.delete(key);
    el.removeAttribute('aria-invalid');
    refresh();
  }

  select.addEventListener('change', () => load(select.value));
  $('explainer-restore').addEventListener('click', () => load(select.value));
  for (const [key, { testid }] of Object.entries(CONTROLS)) {
    $(testid).addEventListener('input', () => onControl(key));
  }
  inputsBox.addEventListener('input', (e) => {
    if (e.target.dataset.tensor) onCell(e.target);
  });
  $('explainer-play').addEventListener('click', play);
  $('explainer-pause').addEventListener('click', () => {
    stop();
    $('explainer-play').focus(); // Pause is disabled now: the keyboard's place moves to Play
  });
  $('explainer-step').addEventListener('click', () => go(pos + 1));
  $('explainer-back').addEventListener('click', () => go(pos - 1));
  $('explainer-reset').addEventListener('click', () => {
    stop();
    go(0);
  });
  outputBox.addEventListener('click', (e) => {
    const cell = e.target.closest('[data-pos]');
    if (cell) go(Number(cell.dataset.pos));
  });
  // Arrow keys move the window while the focus is on the grids or the step buttons (not in a
  // text field, where they move the caret).
  panel.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target.matches('input, select')) return;
    if (!e.target.closest('.conv-stage, .explainer-transport')) return;
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (e.key in moves) go(pos + moves[e.key]);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(out.cells.length - 1);
    else return;
    e.preventDefault();
  });

  select.value = 'anim1';
  load('anim1');
}

/** Values of a (C, from, from) tensor in a (C, to, to) one: the top-left overlap kept, new cells 0. */
function regrid(values, channels, from, to) {
  const next = new Array(channels * to * to).fill(0);
  const n = Math.min(from, to);
  for (let c = 0; c < channels; c++) {
    for (let r = 0; r < n; r++) {
      for (let col = 0; col < n; col++) next[(c * to + r) * to + col] = values[(c * from + r) * from + col];
    }
  }
  return next;
}
