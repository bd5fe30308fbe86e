// The architecture editor: the network as a list of layers the user can change, add and remove,
// with every layer's output shape and parameter count checked live by the Rust core. An
// architecture that cannot work is explained, never run.

const FIELDS = {
  conv2d: [['out_channels', 16, 1], ['kernel_size', 3, 1], ['stride', 1, 1], ['padding', 1, 0]],
  max_pool2d: [['kernel_size', 2, 1]],
  linear: [['out_features', 10, 1]],
  dropout: [['p', 0.25, 0, 0.05]],
  batch_norm2d: [],
  relu: [],
  flatten: [],
};

const NAMES = {
  conv2d: 'Conv2d', max_pool2d: 'MaxPool2d', linear: 'Linear', dropout: 'Dropout',
  batch_norm2d: 'BatchNorm2d', relu: 'ReLU', flatten: 'Flatten',
};

/** A layer spec with its default fields, as the core's serde expects it. */
function newLayer(type) {
  const layer = { type };
  for (const [name, value] of FIELDS[type]) layer[name] = value;
  return layer;
}

export class ArchitectureEditor {
  /** `onChange(spec, valid)` is called after every edit. */
  constructor(root, core, onChange) {
    this.root = root;
    this.core = core;
    this.onChange = onChange;
    this.spec = null;
    this.list = root.querySelector('[data-testid="arch-layers"]');
    this.summary = root.querySelector('[data-testid="arch-summary"]');
    this.error = root.querySelector('[data-testid="arch-error"]');
    const add = root.querySelector('[data-testid="arch-add-type"]');
    for (const type of Object.keys(FIELDS)) add.add(new Option(NAMES[type], type));
    root.querySelector('[data-testid="arch-add"]').addEventListener('click', () => {
      // New layers go before the final classifier, where they usually belong.
      this.spec.layers.splice(Math.max(0, this.spec.layers.length - 1), 0, newLayer(add.value));
      this.render();
    });
  }

  set(spec) {
    this.spec = structuredClone(spec);
    this.render();
  }

  /** Validates with the core; returns the layer infos or null with the reason shown. */
  check() {
    try {
      const infos = this.core.describe_model(this.spec);
      this.error.textContent = '';
      return infos;
    } catch (err) {
      this.error.textContent = err.message;
      return null;
    }
  }

  render() {
    const infos = this.check();
    this.list.replaceChildren(...this.spec.layers.map((layer, i) => this.row(layer, i, infos?.[i])));
    const params = infos ? infos.reduce((n, l) => n + l.params, 0) : null;
    this.summary.textContent = infos
      ? `${this.spec.layers.length} layers, ${params.toLocaleString('en')} parameters`
      : 'this architecture cannot run (see below)';
    this.root.dataset.valid = String(Boolean(infos));
    this.onChange(this.spec, Boolean(infos));
  }

  row(layer, index, info) {
    const li = document.createElement('li');
    li.dataset.testid = `arch-layer-${index}`;
    const title = document.createElement('span');
    title.className = 'arch-name';
    title.textContent = info ? `${info.name} · ${NAMES[layer.type]}` : NAMES[layer.type];
    li.append(title);
    for (const [field, , min, step] of FIELDS[layer.type]) {
      const label = document.createElement('label');
      label.textContent = field.replace('_', ' ');
      const input = document.createElement('input');
      input.type = 'number';
      input.min = String(min);
      input.step = String(step ?? 1);
      input.value = String(layer[field]);
      input.dataset.testid = `arch-${index}-${field}`;
      input.addEventListener('change', () => {
        const v = Number(input.value);
        layer[field] = Number.isFinite(v) ? v : layer[field];
        this.render();
      });
      label.append(input);
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
    li.append(shape, remove);
    return li;
  }
}
