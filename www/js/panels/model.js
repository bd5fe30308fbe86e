// Save and load: the model as a .safetensors file with PyTorch's parameter names and layouts,
// downloaded or uploaded (including one trained in PyTorch). The latest model is also kept in
// the browser (IndexedDB) by the worker, so a reload restores it.

const FILE_NAME = 'cnn-playground-model.safetensors';
const MAX_BYTES = 256 * 1024 * 1024;

export function setupModel(panel, app) {
  const $ = (id) => panel.querySelector(`[data-testid="${id}"]`);
  const status = $('model-status');
  const summary = $('model-summary');
  const say = (message, kind = '') => {
    status.textContent = message;
    status.className = `status ${kind}`;
  };

  const describe = ({ params, layers }) => {
    summary.textContent = `${layers.map((l) => l.name).join(' → ')} · ${params.toLocaleString('en')} parameters`;
  };
  app.on('ready', describe);
  app.on('loaded', describe);

  $('model-download').addEventListener('click', async () => {
    try {
      const { bytes } = await app.request('save');
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = FILE_NAME;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      say(`Saved ${FILE_NAME} (${(bytes.length / 1024).toFixed(0)} KB).`, 'ok');
    } catch (err) {
      say(`Could not save: ${err.message}`, 'error');
    }
  });

  async function upload(file) {
    if (!file) return;
    if (file.size === 0) return say(`"${file.name}" is empty.`, 'error');
    if (file.size > MAX_BYTES) return say(`"${file.name}" is ${(file.size / 1e6).toFixed(0)} MB; a model here is at most ${MAX_BYTES / 1e6} MB.`, 'error');
    say(`Loading "${file.name}"…`);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const info = await app.request('load', { bytes }, [bytes.buffer]);
      say(`Loaded "${file.name}": ${info.params.toLocaleString('en')} parameters. The previous model was replaced.`, 'ok');
    } catch (err) {
      say(`"${file.name}" was not loaded: ${err.message}. The current model is unchanged.`, 'error');
    }
  }

  $('model-upload').addEventListener('change', (e) => {
    upload(e.target.files[0]);
    e.target.value = '';
  });
  panel.addEventListener('dragover', (e) => { e.preventDefault(); panel.classList.add('dragging'); });
  panel.addEventListener('dragleave', () => panel.classList.remove('dragging'));
  panel.addEventListener('drop', (e) => {
    e.preventDefault();
    panel.classList.remove('dragging');
    upload(e.dataTransfer.files[0]);
  });
}
