// @ts-check
// The architecture editor: the network as a list of layers the user can change, add and remove,
// with every layer's output shape and parameter count checked live by the Rust core. An
// architecture that cannot work is explained, never run. The layer types, their fields, ranges
// and defaults are the core's (`layer_types`): nothing about a layer is written here.

/** A new layer of `type`: its required fields at their starting values; the rest are PyTorch's
 * defaults, left out as a PyTorch user leaves them out. */
function newLayer(type) {
  const layer = { type: type.type };
  for (const f of type.fields) if (f.required) layer[f.name] = f.value;
  return layer;
}

/** "3" → 3, "2×3" (or "2x3", "2,3", "2 3") → [2, 3]; null when it is neither. */
function parseSize(text) {
  const parts = text.trim().split(/\s*[×x,\s]\s*/).filter(Boolean).map(Number);
  if (!parts.every(Number.isFinite)) return null;
  if (parts.length === 1) return parts[0];
  return parts.length === 2 ? parts : null;
}

/**
 * The input for field `f` of `layer`, by the field's kind (the core's `FieldKind`): a number, a
 * size (one number or two), a checkbox, or a menu of choices. An optional field left empty, or a flag left at its
 * default, is left out of the spec and takes PyTorch's default.
 */
function fieldInput(layer, f, testid, onChange) {
  const input = document.createElement('input');
  input.dataset.testid = testid;
  const fallback = f.default_is ?? (f.kind === 'flag' ? String(f.value !== 0) : String(f.value));
  input.title = f.required ? f.help : `${f.help} (default: ${fallback})`;
  if (f.kind === 'flag') {
    input.type = 'checkbox';
    input.checked = layer[f.name] ?? f.value !== 0;
    input.addEventListener('change', () => {
      if (input.checked === (f.value !== 0)) delete layer[f.name];
      else layer[f.name] = input.checked;
      onChange();
    });
    return input;
  }
  if (f.kind === 'choice') {
    const select = document.createElement('select');
    select.dataset.testid = testid;
    select.title = input.title;
    for (const name of f.choices) select.add(new Option(name, name));
    select.value = layer[f.name] ?? f.choices[f.value];
    select.addEventListener('change', () => {
      if (select.value === f.choices[f.value]) delete layer[f.name];
      else layer[f.name] = select.value;
      onChange();
    });
    return select;
  }
  if (f.kind === 'size') {
    input.type = 'text';
    input.inputMode = 'numeric';
    input.size = 5;
    const v = layer[f.name];
    input.value = Array.isArray(v) ? v.join('×') : (v ?? '');
  } else {
    input.type = 'number';
    input.min = String(f.min);
    if (f.max !== null) input.max = String(f.max);
    input.step = f.kind === 'count' ? '1' : 'any';
    input.value = layer[f.name] ?? '';
  }
  input.placeholder = f.required ? '' : fallback;
  input.addEventListener('change', () => {
    const text = input.value.trim();
    const v = f.kind === 'size' ? parseSize(text) : Number(text);
    input.setCustomValidity(text === '' || v !== null ? '' : 'one number, or two as 3×5');
    if (text === '' && !f.required) delete layer[f.name];
    else if (text !== '' && v !== null && (Array.isArray(v) || Number.isFinite(v))) layer[f.name] = v;
    onChange();
  });
  return input;
}

export class ArchitectureEditor {
  /** `onChange(spec, valid)` is called after every edit. */
  constructor(root, core, onChange) {
    this.root = root;
    this.core = core;
    this.onChange = onChange;
    this.spec = null;
    this.data = null; // the dataset it is for (the core's About): MNIST until told
    this.types = new Map(core.layer_types().map((t) => [t.type, t]));
    this.list = root.querySelector('[data-testid="arch-layers"]');
    this.summary = root.querySelector('[data-testid="arch-summary"]');
    this.error = root.querySelector('[data-testid="arch-error"]');
    const add = root.querySelector('[data-testid="arch-add-type"]');
    this.addType = add;
    for (const t of this.types.values()) {
      const option = new Option(t.label, t.type);
      option.title = t.help;
      add.add(option);
    }
    root.querySelector('[data-testid="arch-add"]').addEventListener('click', () => {
      // New layers go before the final classifier, where they usually belong.
      this.spec.layers.splice(Math.max(0, this.spec.layers.length - 1), 0, newLayer(this.types.get(add.value)));
      this.render();
    });
  }

  set(spec) {
    this.spec = this.fitted(structuredClone(spec));
    this.render();
  }

  /** The network is for `data` from now on: its input and last layer are fitted to it. */
  setData(data) {
    this.data = data;
    if (this.spec) this.set(this.spec);
  }

  /**
   * `spec` fitted to the dataset as the core fits it, in place: the rows' fields edit its layer
   * objects, so only what the fit changes (the input, the last layer's outputs) is copied in. An
   * unreadable spec is left to check().
   */
  fitted(spec) {
    if (!this.data) return spec;
    try {
      const fit = this.core.fit_spec(spec, this.data);
      spec.input = fit.input;
      const outputs = fit.layers.at(-1)?.out_features;
      if (outputs !== undefined) spec.layers.at(-1).out_features = outputs;
    } catch {
      // check() says why it cannot be read.
    }
    return spec;
  }

  /** Validates with the core; returns the layer infos or null with the reason shown. */
  check() {
    try {
      const infos = this.core.describe_model(this.spec, this.data);
      this.error.textContent = '';
      return infos;
    } catch (err) {
      this.error.textContent = err.message;
      return null;
    }
  }

  render() {
    // Its input and last layer are the data's, whatever was typed there.
    this.spec = this.fitted(this.spec);
    const infos = this.check();
    this.list.replaceChildren(...this.spec.layers.map((layer, i) => this.row(layer, i, infos?.[i])));
    const params = infos ? infos.reduce((n, l) => n + l.params, 0) : null;
    const [c, h, w] = this.spec.input;
    const classes = this.data ? `, a score for each of ${this.data.name}'s ${this.data.classes.length} classes` : '';
    this.summary.textContent = infos
      ? `${this.spec.layers.length} layers, ${params.toLocaleString('en')} parameters, on ${c}×${h}×${w} inputs${classes}`
      : 'this architecture cannot run (see below)';
    this.root.dataset.valid = String(Boolean(infos));
    this.onChange(this.spec, Boolean(infos));
  }

  row(layer, index, info) {
    // A link may name a type the core does not know: shown, and explained by the core's check.
    const type = this.types.get(layer.type) ?? { label: String(layer.type), fields: [], help: '' };
    const li = document.createElement('li');
    li.dataset.testid = `arch-layer-${index}`;
    const title = document.createElement('span');
    title.className = 'arch-name';
    title.textContent = info ? `${info.name} · ${type.label}` : type.label;
    title.title = type.help;
    li.append(title);
    for (const f of type.fields) {
      const label = document.createElement('label');
      label.textContent = f.name.replaceAll('_', ' ');
      label.append(fieldInput(layer, f, `arch-${index}-${f.name}`, () => this.render()));
      li.append(label);
    }
    const shape = document.createElement('span');
    shape.className = 'arch-shape';
    shape.textContent = info ? `→ ${info.output_shape.join('×')}${info.params ? ` · ${info.params.toLocaleString('en')} params` : ''}` : '';
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'small secondary';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', `Remove layer ${index + 1}`);
    remove.addEventListener('click', () => { this.spec.layers.splice(index, 1); this.render(); });
    // The type chosen under "Add a layer", placed right after this one.
    const insert = document.createElement('button');
    insert.type = 'button';
    insert.className = 'small secondary';
    insert.textContent = 'Add below';
    insert.dataset.testid = `arch-insert-${index}`;
    insert.setAttribute('aria-label', `Add the chosen layer type after layer ${index + 1}`);
    insert.addEventListener('click', () => {
      this.spec.layers.splice(index + 1, 0, newLayer(this.types.get(this.addType.value)));
      this.render();
    });
    li.append(shape, remove, insert);
    return li;
  }
}
