// @ts-check
// The data panel: which dataset the network learns from — a built-in one, or the user's own files
// (a folder or zip of class folders, CIFAR's tar.gz, an IDX set), read by the worker and the core
// and kept in this browser — what it is (its images, classes, splits and what was left out), and
// the datasets kept here, with their sizes, to use again or delete.
import { imageFigure } from '../colormap.js';
import { byTestId, statusLine } from '../panel.js';
/** @import { App } from '../app.js' */
/** @import { DatasetChoice } from '../protocol.js' */

/** Test images shown as a sample of the dataset. */
const SAMPLES = 16;
const MB = (bytes) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
const count = (n) => n.toLocaleString('en');

/** @param {App} app */
export function setupData(panel, app, core) {
  const $ = byTestId(panel);
  const choice = $('data-choice');
  const size = $('data-size');
  const about = $('data-about');
  const keptList = $('data-kept-list');
  const progress = $('data-progress');
  const say = statusLine($('data-panel-status'));
  const builtins = core.builtin_datasets();
  /** @type {DatasetChoice | null} */
  let current = null;
  let busy = false;

  /** The select: the built-in datasets, then those kept in this browser. */
  async function fillChoices() {
    let kept = [];
    try {
      kept = await app.request('datasets');
    } catch {
      // No worker yet, or storage refused: the built-in ones are still offered.
    }
    const shipped = document.createElement('optgroup');
    shipped.label = 'Built in';
    shipped.append(...builtins.map((b) => Object.assign(new Option(b.name, `builtin:${b.key}`), { title: b.note })));
    const mine = document.createElement('optgroup');
    mine.label = 'Yours, kept in this browser';
    mine.append(...kept.map((k) => new Option(`${k.name} (${k.about.shape.channels}×${k.about.shape.height}×${k.about.shape.width}, ${k.about.classes.length} classes)`, `stored:${k.name}`)));
    choice.replaceChildren(shipped, ...(kept.length ? [mine] : []));
    if (current) choice.value = valueOf(current);
    keptList.replaceChildren(...kept.map((k) => keptItem(k)));
    if (!kept.length) keptList.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'None yet: add your files above.' }));
  }

  const valueOf = (c) => (c.kind === 'builtin' ? `builtin:${c.key}` : `stored:${c.name}`);

  function keptItem(k) {
    const li = document.createElement('li');
    const text = document.createElement('span');
    text.textContent = `${k.name}: ${count(k.about.train + k.about.test)} images, ${MB(k.size)}, kept ${new Date(k.savedAt).toLocaleDateString()}`;
    const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'small secondary', textContent: 'Delete' });
    remove.dataset.testid = 'data-delete';
    remove.addEventListener('click', async () => {
      try {
        await app.request('deleteData', { name: k.name });
        say(`Deleted “${k.name}” from this browser.`, 'ok');
      } catch (err) {
        say(err.message, 'error');
      }
      fillChoices();
    });
    li.append(text, ' ', remove);
    return li;
  }

  /** Asks the worker to train on another dataset; the one in use stays if it fails. */
  async function use(body, what) {
    if (busy) return;
    busy = true;
    choice.disabled = true;
    say(`Reading ${what}…`);
    try {
      const { about: read, replaced } = await app.request('useData', body);
      const left = read.skipped.length ? ` Left out: ${read.skipped.join('; ')}.` : '';
      const model = replaced
        ? ` The network was rebuilt for its ${read.shape.channels}×${read.shape.height}×${read.shape.width} images and ${read.classes.length} classes: a new, untrained model.`
        : ' The model fits it and is kept.';
      say(`Using ${read.name}.${model}${left}`, 'ok');
    } catch (err) {
      say(`${what} could not be used: ${err.message} The dataset in use is unchanged.`, 'error');
      if (current) choice.value = valueOf(current);
    } finally {
      busy = false;
      choice.disabled = false;
      progress.hidden = true;
      fillChoices();
    }
  }

  function useFiles(files) {
    if (!files.length) return;
    const side = Number(size.value);
    const what = files.length === 1 ? `“${files[0].file.name}”` : `${count(files.length)} files`;
    use({ files, size: [side, side] }, what);
  }

  choice.addEventListener('change', () => {
    const [kind, ...rest] = choice.value.split(':');
    const key = rest.join(':');
    use(kind === 'builtin' ? { key } : { name: key }, kind === 'builtin' ? builtins.find((b) => b.key === key).name : `“${key}”`);
  });
  for (const input of [$('data-files'), $('data-folder')]) {
    input.addEventListener('change', () => {
      // A folder's files carry their path below the folder chosen.
      useFiles([...input.files].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
      input.value = '';
    });
  }
  panel.addEventListener('dragover', (e) => {
    e.preventDefault();
    panel.classList.add('dragging');
  });
  panel.addEventListener('dragleave', () => panel.classList.remove('dragging'));
  panel.addEventListener('drop', async (e) => {
    e.preventDefault();
    panel.classList.remove('dragging');
    useFiles(await dropped(e.dataTransfer));
  });

  app.on('dataProgress', ({ stage, done, total }) => {
    progress.hidden = total === 0;
    progress.value = total ? done / total : 0;
    const words = { reading: 'Reading', decoding: 'Decoding images', checking: 'Checking the dataset' }[stage] ?? stage;
    say(total ? `${words}: ${count(done)} of ${count(total)}${stage === 'reading' && total > 1e5 ? ' bytes' : ''}…` : `${words}…`);
  });
  // A sample of the dataset: its first test images as they are, each under its class's name.
  const samples = $('data-samples');
  let sampled = null; // the dataset whose images are shown, or are being fetched
  async function showSamples(a, available) {
    if (sampled === a || available < Math.min(SAMPLES, a.test || SAMPLES)) return;
    sampled = a;
    const figures = [];
    for (let index = 0; index < Math.min(SAMPLES, available); index++) {
      let image;
      try {
        image = await app.request('testImage', { index });
      } catch {
        return;
      }
      if (sampled !== a) return; // another dataset came meanwhile
      figures.push(imageFigure(image.pixels, image.shape, a.classes[image.label] ?? String(image.label)));
    }
    samples.replaceChildren(...figures);
    panel.dataset.samples = String(figures.length);
  }
  let inUse = null;
  app.on('dataset', ({ about: a, choice: c }) => {
    current = c;
    inUse = a;
    panel.dataset.dataset = a.name;
    panel.dataset.shape = `${a.shape.channels}x${a.shape.height}x${a.shape.width}`;
    showAbout(about, a);
    samples.replaceChildren();
    showSamples(a, a.test);
    fillChoices(); // which sets the select to it
  });
  // A built-in dataset streaming in: its sample once enough test images have come.
  app.on('data', ({ split, loaded }) => { if (split === 'test' && inUse) showSamples(inUse, loaded); });
}

/** What a dataset is, in a few lines. */
function showAbout(el, a) {
  const s = a.shape;
  const lines = [
    `${a.name} (${a.source}): ${s.channels === 3 ? 'colour' : 'gray'} images of ${s.width}×${s.height} px, ${a.classes.length} classes.`,
    a.train || a.test ? `${count(a.train)} for training, ${count(a.test)} for testing${a.test_note ? `; ${a.test_note}` : ''}.` : 'Loading…',
    `Classes: ${a.classes.join(', ')}.`,
    ...a.skipped.map((why) => `Left out: ${why}.`),
  ];
  el.replaceChildren(...lines.map((t) => Object.assign(document.createElement('p'), { textContent: t })));
}

/** The files of a drop, a dropped folder's with their paths below it. */
async function dropped(transfer) {
  const entries = [...transfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...transfer.files].map((file) => ({ file, path: file.name }));
  const out = [];
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ file, path: `${prefix}${entry.name}` });
      return;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
    }
  };
  for (const entry of entries) await walk(entry, '');
  return out;
}
