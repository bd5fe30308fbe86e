// @ts-check
// The explainer's grids as HTML, not canvas: each cell is an element a keyboard and a screen
// reader can reach. Editable cells are text inputs; padding cells are drawn as their own kind.

/** 1.5 → "1.5", −2 → "−2" (a real minus sign), at most three decimals. */
export function formatNumber(v) {
  return String(parseFloat(v.toFixed(3))).replace('-', '−');
}

/** What a person types ("−1.5", " 2 ") as a number, or NaN. */
export function parseNumber(text) {
  const t = text.trim().replace('−', '-').replace(',', '.');
  return t === '' ? NaN : Number(t);
}

/** A square grid of n×n cells made by `cell(row, col)`; `cells` is row-major. */
function grid(n, label, cell) {
  const el = document.createElement('div');
  el.className = 'conv-grid';
  el.setAttribute('role', 'group');
  el.setAttribute('aria-label', label);
  // The CSS sizes the cells from the column count (so a wide grid shrinks to fit a phone). The
  // CSP forbids style attributes in markup, not style properties set from script.
  el.style.setProperty('--n', String(n));
  const cells = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const x = cell(r, c);
      cells.push(x);
      el.append(x);
    }
  }
  return { el, cells };
}

/** An editable cell of `tensor` ('input' or 'weight') at flat `index`. */
function numberCell(tensor, index, value, testid, label) {
  const wrap = document.createElement('span');
  wrap.className = 'cell';
  const input = document.createElement('input');
  input.type = 'text';
  input.inputMode = 'decimal';
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.value = formatNumber(value);
  input.dataset.tensor = tensor;
  input.dataset.index = String(index);
  input.setAttribute('data-testid', testid);
  input.setAttribute('aria-label', label);
  wrap.append(input);
  return wrap;
}

function paddingCell() {
  const el = document.createElement('span');
  el.className = 'cell pad';
  el.textContent = '0';
  el.title = 'zero padding';
  el.setAttribute('aria-label', 'padding, 0');
  return el;
}

function figure(caption, ...children) {
  const fig = document.createElement('figure');
  fig.className = 'conv-figure';
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  const body = document.createElement('div');
  body.className = 'conv-channels';
  body.append(...children);
  fig.append(cap, body);
  return fig;
}

/**
 * The input, one padded (size + 2·padding)² grid per channel, and the kernel, one K×K grid per
 * channel, plus the bias. Returns the elements and, per channel, the input grid's cells in
 * padded coordinates (for highlighting the window).
 */
export function buildStage({ channels, size, kernel, input, weight, bias, padding }) {
  const n = size + 2 * padding;
  const inputCells = [];
  const inputGrids = [];
  const kernelGrids = [];
  for (let ch = 0; ch < channels; ch++) {
    // "input channel 2 row 1 column 3"; no channel named when there is only one.
    const named = (what) => (channels > 1 ? `${what} channel ${ch + 1}` : what);
    const { el, cells } = grid(n, `${named('input')}, padded to ${n}×${n}`, (pr, pc) => {
      const r = pr - padding;
      const c = pc - padding;
      if (r < 0 || r >= size || c < 0 || c >= size) return paddingCell();
      const i = (ch * size + r) * size + c;
      return numberCell('input', i, input[i], `explainer-in-${ch}-${r}-${c}`,
        `${named('input')} row ${r + 1} column ${c + 1}`);
    });
    inputCells.push(cells);
    inputGrids.push(el);
    kernelGrids.push(grid(kernel, named('kernel'), (k, l) => {
      const i = (ch * kernel + k) * kernel + l;
      return numberCell('weight', i, weight[i], `explainer-kernel-${ch}-${k}-${l}`,
        `${named('kernel')} row ${k + 1} column ${l + 1}`);
    }).el);
  }

  const biasLabel = document.createElement('label');
  biasLabel.className = 'conv-bias';
  biasLabel.textContent = 'bias ';
  const biasInput = document.createElement('input');
  biasInput.type = 'text';
  biasInput.inputMode = 'decimal';
  biasInput.autocomplete = 'off';
  biasInput.placeholder = 'none';
  biasInput.value = bias === null ? '' : formatNumber(bias);
  biasInput.dataset.tensor = 'bias';
  biasInput.setAttribute('data-testid', 'explainer-bias');
  biasLabel.append(biasInput);

  const padded = padding > 0 ? ` (padded by ${padding})` : '';
  return {
    inputFigure: figure(`Input ${channels}×${size}×${size}${padded}`, ...inputGrids),
    kernelFigure: figure(`Kernel 1×${channels}×${kernel}×${kernel}`, ...kernelGrids, biasLabel),
    inputCells,
  };
}

/** The output grid: one button per cell (a click moves the window there). */
export function buildOutput(oh, ow) {
  const el = document.createElement('div');
  el.className = 'conv-grid output';
  el.setAttribute('role', 'group');
  el.setAttribute('aria-label', `output ${oh}×${ow}`);
  el.setAttribute('data-testid', 'explainer-output');
  el.style.setProperty('--n', String(ow));
  const cells = [];
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'cell';
      b.dataset.pos = String(r * ow + c);
      b.setAttribute('data-testid', `explainer-out-${r}-${c}`);
      cells.push(b);
      el.append(b);
    }
  }
  return { el, cells };
}
