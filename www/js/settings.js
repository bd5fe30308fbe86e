// @ts-check
// Every training setting, declared once: its name in the form and the address, its input, the
// core's field (whose range, help and check the form shows: `training_fields`), whether a
// recipe fixes it, and where it sits in the core's TrainConfig. The form, the address (a setup
// shared as a link), the worker's settings and a model's settings read back from its story all
// derive from this table:
// #recipe=tutorial&epochs=5&batch=64&lr=0.001&optimizer=adam&schedule=constant&shift=0&smoothing=0&seed=0&threads=2&device=cpu&data=mnist
// plus &arch=<the architecture as JSON> when it is not the recipe's own.
/** @import { Settings, Spec } from './protocol.js' */

/**
 * One setting.
 * @typedef {object} Setting
 * @property {string} key  its name in the form's values and the address
 * @property {string} input  its input's test id
 * @property {'number' | 'word'} kind
 * @property {readonly (string | number)[] | null} [allowed]  the values an address may give it
 *   (null: the core's schedules)
 * @property {string} [field]  the core's training field it is
 * @property {(config: any) => number | string} [from]  its value in a TrainConfig (a recipe's,
 *   a model's story); none: not a training setting (the workers, the device)
 * @property {(config: any, value: any) => void} [into]  puts it into a TrainConfig
 * @property {(config: any, schedules: {name: string, label: string}[]) => string} [said]  how a
 *   model's story says it was trained with it ('' when it is not worth saying)
 */

/** The core's rates are f32: 0.001 comes back as 0.0010000000474974513. */
const f32 = (v) => Number(v.toPrecision(7));

/** @type {readonly Setting[]} */
export const SETTINGS = [
  { key: 'epochs', input: 'train-epochs', kind: 'number', field: 'epochs', from: (c) => c.epochs, into: (c, v) => { c.epochs = v; } },
  {
    key: 'optimizer', input: 'train-optimizer', kind: 'word', allowed: ['adam', 'sgd'], from: (c) => c.optimizer.type,
    // The form offers SGD with PyTorch's usual momentum.
    into: (c, v) => { Object.assign(c.optimizer, v === 'sgd' ? { type: 'sgd', momentum: 0.9 } : { type: 'adam' }); },
    said: ({ optimizer: o }) => `${o.type === 'sgd' ? `SGD (momentum ${o.momentum ?? 0})` : 'Adam'} at ${f32(o.lr)}`,
  },
  { key: 'lr', input: 'train-lr', kind: 'number', field: 'lr', from: (c) => f32(c.optimizer.lr), into: (c, v) => { c.optimizer.lr = v; } },
  {
    key: 'batch', input: 'train-batch', kind: 'number', field: 'batch_size', from: (c) => c.batch_size, into: (c, v) => { c.batch_size = v; },
    said: (c) => `batch ${c.batch_size}`,
  },
  {
    key: 'schedule', input: 'train-schedule', kind: 'word', allowed: null, from: (c) => c.schedule, into: (c, v) => { c.schedule = v; },
    said: (c, schedules) => schedules.find((s) => s.name === c.schedule)?.label ?? c.schedule,
  },
  {
    key: 'shift', input: 'train-shift', kind: 'number', field: 'shift', from: (c) => c.shift, into: (c, v) => { c.shift = v; },
    said: (c) => (c.shift > 0 ? `images shifted up to ${c.shift} px` : ''),
  },
  {
    key: 'smoothing', input: 'train-smoothing', kind: 'number', field: 'label_smoothing',
    from: (c) => f32(c.label_smoothing ?? 0), into: (c, v) => { c.label_smoothing = v; },
    said: (c) => (c.label_smoothing > 0 ? `labels smoothed by ${f32(c.label_smoothing)}` : ''),
  },
  { key: 'seed', input: 'train-seed', kind: 'number', field: 'seed', from: (c) => c.seed, into: (c, v) => { c.seed = v; } },
  { key: 'threads', input: 'train-threads', kind: 'number', allowed: [1, 2] },
  { key: 'device', input: 'train-device', kind: 'word', allowed: ['cpu', 'gpu'] },
];

/** The settings a recipe fixes: every training setting (all but the workers and the device). */
export const RECIPE_SETTINGS = SETTINGS.filter((s) => s.from).map((s) => s.key);

/** The form's values of a TrainConfig, as a recipe or a model's story holds it. */
export function valuesOf(config) {
  return Object.fromEntries(SETTINGS.filter((s) => s.from).map((s) => [s.key, /** @type {any} */ (s.from)(config)]));
}

/**
 * How a TrainConfig trained a model, in words: "Adam at 0.001, batch 64, cosine to zero, images
 * shifted up to 2 px". `schedules`: the core's, for their names in words.
 */
export function trainedWith(config, schedules) {
  return SETTINGS.map((s) => s.said?.(config, schedules) ?? '').filter(Boolean).join(', ');
}

/** The core's TrainConfig of the form's values. */
export function configOf(values) {
  const config = { optimizer: {} };
  for (const s of SETTINGS) s.into?.(config, values[s.key]);
  return config;
}

/**
 * What the worker's `init`, `start` and `reset` take, from the form's values and network.
 * @param {Record<string, any>} values
 * @param {Spec | null} spec
 * @returns {Settings}
 */
export function workerSettings(values, spec) {
  return {
    spec,
    config: /** @type {any} */ (configOf(values)),
    seed: values.seed,
    epochs: values.epochs,
    threads: values.threads,
    device: values.device,
    data: values.data,
  };
}

/**
 * {recipe, values, spec} from the current address; anything unreadable is left out. `schedules`:
 * the core's schedule names.
 * @param {string[]} schedules
 */
export function readHash(schedules) {
  const params = new URLSearchParams(location.hash.slice(1));
  /** @type {Record<string, any>} */
  const values = {};
  for (const s of SETTINGS) {
    const raw = params.get(s.key);
    if (raw === null) continue;
    const value = s.kind === 'number' ? Number(raw) : raw;
    const allowed = s.allowed === null ? schedules : s.allowed;
    if (s.kind === 'number' && !Number.isFinite(value)) continue;
    if (allowed && !allowed.includes(value)) continue;
    values[s.key] = value;
  }
  // The dataset: a built-in's key or the name of one kept in this browser (the worker checks).
  if (params.get('data')) values.data = params.get('data');
  let spec = null;
  try {
    if (params.has('arch')) spec = JSON.parse(/** @type {string} */ (params.get('arch')));
  } catch {
    spec = null; // a damaged link falls back to the recipe's architecture
  }
  return { recipe: params.get('recipe'), values, spec };
}

/** Writes the settings into the address without adding a history entry. */
export function writeHash(settings, spec, recipes) {
  const params = new URLSearchParams();
  params.set('recipe', settings.recipe);
  for (const s of SETTINGS) params.set(s.key, String(settings[s.key]));
  if (settings.data) params.set('data', settings.data);
  const preset = recipes[settings.recipe]?.spec;
  if (!preset || JSON.stringify(spec) !== JSON.stringify(preset)) params.set('arch', JSON.stringify(spec));
  history.replaceState(null, '', `#${params}`);
}
