// @ts-check
// Training settings in the URL's hash, so a setup can be shared and reproduced:
// #recipe=tutorial&epochs=5&batch=64&lr=0.001&optimizer=adam&schedule=constant&shift=0&smoothing=0&seed=0&threads=2&device=cpu&data=mnist
// plus &arch=<the architecture as JSON> when it is not the recipe's own.

const NUMBERS = ['epochs', 'batch', 'lr', 'seed', 'shift', 'smoothing', 'threads'];
const WORDS = { optimizer: ['adam', 'sgd'], device: ['cpu', 'gpu'] };

/**
 * {recipe, values, spec} from the current hash; anything unreadable is left out. `schedules`: the
 * core's schedule names.
 */
export function readHash(schedules) {
  const params = new URLSearchParams(location.hash.slice(1));
  const values = {};
  for (const k of NUMBERS) {
    const v = Number(params.get(k));
    if (params.has(k) && Number.isFinite(v)) values[k] = v;
  }
  if (![1, 2].includes(values.threads)) delete values.threads;
  for (const [k, allowed] of Object.entries({ ...WORDS, schedule: schedules })) {
    if (allowed.includes(params.get(k))) values[k] = params.get(k);
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

/** Writes the settings into the hash without adding a history entry. */
export function writeHash(settings, spec, recipes) {
  const params = new URLSearchParams();
  params.set('recipe', settings.recipe);
  for (const k of [...NUMBERS, ...Object.keys(WORDS), 'schedule']) params.set(k, String(settings[k]));
  if (settings.data) params.set('data', settings.data);
  const preset = recipes[settings.recipe]?.spec;
  if (!preset || JSON.stringify(spec) !== JSON.stringify(preset)) params.set('arch', JSON.stringify(spec));
  history.replaceState(null, '', `#${params}`);
}
