// @ts-check
// The training panel's form: a recipe, the settings (settings.js's table: their inputs, the
// core's ranges and checks, the address) and the architecture editor. It says what is wrong with
// it in the core's words, and tells the panel when anything changes.
import { ArchitectureEditor } from './architecture.js';
import { RECIPE_SETTINGS, SETTINGS, readHash, valuesOf, workerSettings, writeHash } from '../settings.js';
/** @import { App } from '../app.js' */
/** @import { ModelEvent, Settings, Spec } from '../protocol.js' */

/** Workers to train on, unless the address says otherwise (#threads=1): a recipe does not set it. */
const DEFAULT_THREADS = 2;

/** The core's recipes as the form knows them: name → {label, help, spec, …the form's values}. */
function recipesOf(core) {
  return Object.fromEntries(core.recipes().map((r) => [r.name, { label: r.label, help: r.help, spec: r.spec, ...valuesOf(r.config) }]));
}

/** The form's first values: the address's over its recipe's (the tutorial's by default). */
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

export class TrainForm {
  /**
   * @param {(id: string) => any} $  the panel's elements by test id
   * @param {App} app
   * @param {any} core
   * @param {{settings: Record<string, any>, spec: Spec}} initial
   * @param {() => void} onChange  called after any change of a setting or the network
   */
  constructor($, app, core, { settings, spec }, onChange) {
    this.core = core;
    this.settings = settings;
    this.spec = spec;
    this.archValid = true;
    this.onChange = onChange;
    /** @type {Record<string, any>} */
    this.inputs = Object.fromEntries(SETTINGS.map((s) => [s.key, $(s.input)]));
    this.recipe = $('train-recipe');
    this.recipes = recipesOf(core);
    this.recipe.replaceChildren(...Object.entries(this.recipes).map(([name, r]) => Object.assign(new Option(r.label, name), { title: r.help })),
      new Option('Custom', 'custom'));
    this.inputs.schedule.replaceChildren(...core.schedules().map((s) => new Option(s.label, s.name)));
    // Each field's range and help are the core's.
    for (const f of core.training_fields()) {
      const input = this.inputs[/** @type {any} */ (SETTINGS.find((s) => s.field === f.name)).key];
      input.min = String(f.min);
      if (f.max !== null) input.max = String(f.max);
      input.step = f.kind === 'count' ? '1' : 'any';
      input.title = f.help;
    }
    this.editor = new ArchitectureEditor($('arch'), core, (newSpec, valid) => {
      this.spec = newSpec;
      this.archValid = valid;
      this.changed();
    });
    for (const el of Object.values(this.inputs)) el.addEventListener('change', () => this.changed());
    this.recipe.addEventListener('change', () => {
      const r = this.recipes[this.recipe.value];
      if (r) {
        this.show({ ...r, threads: Number(this.inputs.threads.value), device: this.inputs.device.value, recipe: this.recipe.value });
        this.editor.set(r.spec);
      }
      this.changed();
    });
    // The learning rate, the batch size, the epochs and the workers can change while training.
    const live = { lr: 'lr', batch: 'batchSize', epochs: 'epochs', threads: 'threads' };
    for (const [key, name] of Object.entries(live)) {
      this.inputs[key].addEventListener('change', () => {
        if (this.problem() === '') app.send('set', { [name]: Number(this.inputs[key].value) });
      });
    }
  }

  /** Shows the first settings and network (the editor then reports them). */
  start() {
    this.show(this.settings);
    this.editor.set(this.spec);
  }

  /** @param {Record<string, any>} s */
  show(s) {
    for (const [k, el] of Object.entries(this.inputs)) el.value = String(s[k]);
    this.recipe.value = s.recipe;
  }

  /** The form's values, as settings.js's table names them, with the recipe and the dataset. */
  read() {
    /** @type {Record<string, any>} */
    const values = { recipe: this.recipe.value, data: this.settings.data };
    for (const s of SETTINGS) {
      const el = this.inputs[s.key];
      values[s.key] = s.kind === 'number' ? Number(el.value) : el.value;
    }
    return values;
  }

  /**
   * What the worker takes for the form as it is.
   * @returns {Settings}
   */
  workerSettings() {
    return workerSettings(this.read(), this.spec);
  }

  /** Why the form cannot start a run ('' when it can), in the words of the core's own checks. */
  problem() {
    const s = this.read();
    for (const { key, field } of SETTINGS) {
      if (!field) continue;
      const why = this.core.check_setting(field, s[key]);
      // "batch_size must be …" in the form's own words: "Batch size must be …".
      if (why) return `${this.inputs[key].parentElement.firstChild.textContent.trim()}${why.slice(field.length)}.`;
    }
    if (s.threads !== 1 && s.threads !== 2) return 'Workers must be 1 or 2.';
    if (!this.archValid) return 'The architecture cannot run: fix it below.';
    return this.core.check_config(workerSettings(s, this.spec).config) ?? '';
  }

  /** A setting or the network changed: it goes into the address, and the panel hears of it. */
  changed() {
    this.settings = this.read();
    writeHash(this.settings, this.spec, this.recipes);
    this.onChange();
  }

  /** The address follows the settings (after the worker moved the device or the dataset). */
  remember(values = {}) {
    this.settings = { ...this.read(), ...values };
    writeHash(this.settings, this.spec, this.recipes);
  }

  /**
   * Shows the form as the model's own: its network, and (when asked) the settings it was
   * trained with (its story's latest run).
   * @param {ModelEvent} m
   * @param {boolean} withSettings
   */
  adopt(m, withSettings) {
    const c = m.history.config;
    const s = withSettings && c ? { ...this.read(), ...valuesOf(c), seed: m.history.seed ?? c.seed } : this.read();
    // A recipe keeps its name only while the network and every setting are the recipe's.
    const matches = (name) => this.recipes[name] && this.core.same_architecture(m.spec, this.recipes[name].spec)
      && RECIPE_SETTINGS.every((k) => this.recipes[name][k] === s[k]);
    s.recipe = matches(s.recipe) ? s.recipe : (Object.keys(this.recipes).find(matches) ?? 'custom');
    this.show(s);
    this.editor.set(m.spec); // which reports the change
  }
}
