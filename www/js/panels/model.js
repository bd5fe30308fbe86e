// @ts-check
// Save and load: the model downloaded as a .safetensors file with PyTorch's parameter names and
// layouts, or in the core's other export formats (ONNX, a PyTorch project, Paddle's .pdparams);
// uploaded as safetensors, PyTorch's .pt/.pth or Paddle's .pdparams. The latest model is also
// kept in the browser (IndexedDB) by the worker, so a reload restores it.

import { showModelStory } from '../model-story.js';
import { trainedWith } from '../settings.js';
import { acceptFiles, byTestId, statusLine } from '../panel.js';
/** @import { App } from '../app.js' */
/** @import { ModelEvent } from '../protocol.js' */

/** A message as a sentence: a capital first, a full stop last. */
const sentence = (m) => `${m.charAt(0).toUpperCase()}${m.slice(1)}${/[.!?]$/.test(m) ? '' : '.'}`;
const MAX_BYTES = 256 * 1024 * 1024;

/** @param {App} app */
export function setupModel(panel, app, core) {
  const $ = byTestId(panel);
  const status = $('model-status');
  const summary = $('model-summary');
  const details = $('model-detail');
  /** A message, and the technical detail behind it for those who open it. */
  const line = statusLine(status);
  const say = (message, kind = '', detail = '') => {
    line(message, kind);
    details.hidden = !detail;
    details.querySelector('pre').textContent = detail;
    details.open = false;
  };

  showModelStory($('model-story'), app);
  // Where the browser cannot keep models (storage full, or blocked for this site), the page
  // works on, and says the download is the only copy.
  app.on('storage', ({ ok, reason }) => {
    const notice = $('storage-status');
    notice.hidden = ok;
    notice.textContent = ok ? '' : `This browser is not keeping the model (${reason}): download it to keep it, or it is lost when the page closes.`;
    panel.dataset.storage = ok ? 'ok' : 'unavailable';
  });
  const schedules = core.schedules();
  app.on('model', ({ params, layers, history }) => {
    const trained = history.steps > 0 && history.config ? ` · last trained with ${trainedWith(history.config, schedules)}` : '';
    summary.textContent = `${layers.map((l) => l.name).join(' → ')} · ${params.toLocaleString('en')} parameters${trained}`;
  });

  /** Downloads the model in `format` (one of the core's export formats). */
  async function download({ name, file }) {
    try {
      const { bytes } = await app.request('save', { format: name });
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = file;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      say(`Saved ${file} (${(bytes.length / 1024).toFixed(0)} KB).`, 'ok');
    } catch (err) {
      say(`Could not save: ${err.message}`, 'error', err.detail);
    }
  }
  const [safetensors, ...others] = core.export_formats();
  $('model-download').addEventListener('click', () => download(safetensors));
  for (const format of others) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = format.label;
    button.title = format.help;
    button.dataset.testid = `export-${format.name}`;
    button.addEventListener('click', () => download(format));
    $('model-exports').append(button);
  }

  async function upload(file) {
    if (!file) return;
    if (file.size === 0) return say(`"${file.name}" is empty: there is no model in it. The current model is unchanged.`, 'error');
    if (file.size > MAX_BYTES) return say(`"${file.name}" is ${(file.size / 1e6).toFixed(0)} MB; a model here is at most ${MAX_BYTES / 1e6} MB.`, 'error');
    say(`Loading "${file.name}"…`);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { historyNote } = await app.request('load', { bytes, name: file.name }, [bytes.buffer]);
      const note = historyNote ? ' Its training history could not be read and was left out.' : '';
      // The `model` event came before the reply.
      say(`Loaded "${file.name}": ${/** @type {ModelEvent} */ (app.model).params.toLocaleString('en')} parameters. The previous model was replaced; Evaluate in the Train panel measures this one.${note}`, 'ok', historyNote);
    } catch (err) {
      say(`"${file.name}" was not loaded. ${sentence(err.message)} The current model is unchanged.`, 'error', err.detail);
    }
  }

  acceptFiles(panel, $('model-upload'), upload);
}
