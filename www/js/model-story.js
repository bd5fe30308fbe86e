// @ts-check
// What the page says about the current model, in the same words in every panel: where it came
// from and how well it does, read from the model's history (src/train/history.rs) as the
// worker's `model` event carries it (protocol.js).
/** @import { App } from './app.js' */

/** Random weights, never trained, not from a file. */
export function isUntrained(model) {
  const h = model.history;
  return h.steps === 0 && !h.file && !h.fine_tuned_from;
}

/** A test accuracy as the page writes it everywhere: 98.91%. */
export const percent = (accuracy) => `${(100 * accuracy).toFixed(2)}%`;

/** "5 epochs", "1 epoch", "2.4 epochs", or a step count when not even a point was recorded. */
function trainingLength(history) {
  const epochs = history.curve.at(-1)?.[0] ?? 0;
  if (epochs === 0) return `${history.steps.toLocaleString('en')} steps`;
  const n = String(Number(epochs.toFixed(2))); // 5, 1.04
  const time = history.seconds > 0 ? ` in ${duration(history.seconds)}` : '';
  return `${n} epoch${n === '1' ? '' : 's'}${time}`;
}

/** "2 min 13 s", "48 s", "under a second". */
function duration(seconds) {
  const s = Math.round(seconds);
  if (seconds < 1) return 'under a second';
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The latest test score: measured on these very weights, or at the end of an epoch. */
function scoreText(history) {
  const now = history.evaluation?.steps === history.steps ? history.evaluation.score : null;
  if (now) return `test accuracy ${percent(now.accuracy)}`;
  const last = history.epochs.findLast((e) => e.test);
  return last ? `test accuracy ${percent(last.test.accuracy)} after epoch ${last.epoch}` : '';
}

/** One or two sentences: where the model came from, its training, its score. */
export function modelStory(model) {
  const h = model.history;
  const score = scoreText(h);
  let text;
  if (h.file) {
    const on = h.data ? ` on ${h.data.name}` : '';
    const training = h.steps > 0 ? `trained ${trainingLength(h)}${on}` : 'no training history in the file';
    text = `Uploaded ${h.file}: ${[training, score].filter(Boolean).join(', ')}.`;
  } else if (h.steps === 0 && !h.fine_tuned_from) {
    text = `Untrained: random weights (seed ${h.seed ?? 0})${score ? `, ${score}` : ''}.`;
  } else if (h.steps === 0) {
    text = `A new last layer, not trained yet${score ? `, ${score}` : ''}.`;
  } else {
    text = `Trained here: ${trainingLength(h)}${score ? `, ${score}` : ', not measured on the test set yet'}.`;
  }
  if (h.fine_tuned_from) text += ` Fine-tuned from ${h.fine_tuned_from}.`;
  if (h.corrections > 0) text += ` Corrected ${h.corrections === 1 ? 'once' : `${h.corrections} times`} by you.`;
  if (model.restored) text += ` Restored from this browser (saved ${new Date(model.restored.savedAt).toLocaleString()}).`;
  return text;
}

/**
 * Keeps `element` saying the current model's story.
 * @param {HTMLElement} element
 * @param {App} app
 */
export function showModelStory(element, app) {
  const show = (model) => {
    element.textContent = modelStory(model);
    element.dataset.reason = model.reason;
  };
  if (app.model) show(app.model);
  app.on('model', show);
}
