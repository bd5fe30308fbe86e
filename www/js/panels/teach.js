// @ts-check
// "Teach it", in the Draw panel: the user names classes, draws examples of each on the panel's
// canvas (each prepared as MNIST's digits are), and has a network learn them — a new one, or the
// current one fine-tuned with a new last layer. The drawings become the dataset every panel
// follows (src/data/drawn.rs); the Train panel runs the training, so its charts show it.
import { paintImage } from '../colormap.js';
import { byTestId, statusLine } from '../panel.js';
import { loadDrawings, saveDrawings } from '../storage.js';
/** @import { App } from '../app.js' */

/** Steps the first training of the drawings lasts at least, however few they are. */
export const TEACH_STEPS = 200;

/**
 * `drawing()`: the canvas's drawing prepared as MNIST's digits (bytes of `shape`), or null when
 * there is none; `clear()`: clears the canvas for the next one; `setTeaching(on)`: whether the
 * canvas takes drawings for teaching (also when the dataset in use is in colour).
 * @param {App} app
 */
export function setupTeach(panel, app, core, { drawing, clear, setTeaching, shape }) {
  const $ = byTestId(panel);
  const limits = core.teach_limits();
  const say = statusLine($('teach-status'));
  const section = $('teach');
  const namesInput = $('teach-classes');
  const adders = $('teach-add');
  const gallery = $('teach-drawings');
  const buttons = [$('teach-scratch'), $('teach-finetune')];
  /** [{name, pixels: Uint8Array}], in the order drawn. */
  let drawings = [];
  let busy = false;

  panel.querySelector('.teach .hint').textContent = `Name 2 to ${limits.max_classes} classes, then draw at least ${limits.min_per_class} examples of each on the canvas below, adding each to its class. One drawing of each class in seven is held out to test on; every other one is learnt at every shift of up to ${limits.shift} pixels. Train a new network from scratch, or fine-tune the current one: its layers are kept and only a new last layer starts afresh.`;

  /** The class names typed, trimmed, empty ones left out. */
  const classes = () => namesInput.value.split(',').map((c) => c.trim()).filter(Boolean);

  function render() {
    const names = classes();
    adders.replaceChildren(...names.slice(0, limits.max_classes).map((name, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary';
      b.dataset.testid = `teach-add-${i}`;
      const n = drawings.filter((d) => d.name === name).length;
      b.textContent = `Add to “${name}” (${n})`;
      b.disabled = busy;
      b.addEventListener('click', () => add(name));
      return b;
    }));
    gallery.replaceChildren(...drawings.map((d, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'teach-drawing';
      b.title = `${d.name}: click to remove`;
      b.setAttribute('aria-label', `Remove drawing ${i + 1}, of “${d.name}”`);
      const canvas = document.createElement('canvas');
      paintImage(canvas, Float32Array.from(d.pixels, (v) => v / 255), shape, { lo: 0, hi: 1 });
      b.append(canvas);
      b.addEventListener('click', () => {
        drawings.splice(i, 1);
        changed();
      });
      return b;
    }));
    panel.dataset.teachDrawings = String(drawings.length);
    buttons.forEach((b) => { b.disabled = busy; });
  }

  /** The drawings and the names typed change: shown, and kept for the next visit. */
  function changed() {
    render();
    // Storage refused (a private window): the drawings last as long as the page.
    saveDrawings({ classes: namesInput.value, drawings }).catch(() => {});
  }

  function add(name) {
    const pixels = drawing();
    if (!pixels) return say(`Draw a “${name}” on the canvas first.`, 'error');
    if (drawings.length >= limits.max_drawings) return say(`At most ${limits.max_drawings.toLocaleString('en')} drawings are learnt.`, 'error');
    drawings.push({ name, pixels });
    clear();
    say(`Added to “${name}”. Draw the next one.`);
    changed();
  }

  /** Why the drawings cannot be taught yet, in words; '' when they can. */
  function problem(names) {
    if (names.length < 2 || names.length > limits.max_classes) return `Name 2 to ${limits.max_classes} classes, separated by commas.`;
    if (new Set(names).size !== names.length) return 'Each class needs its own name.';
    const few = names.filter((n) => drawings.filter((d) => d.name === n).length < limits.min_per_class);
    if (few.length) return `Draw at least ${limits.min_per_class} of each class (two to learn from, one to test on): ${few.map((n) => `“${n}”`).join(', ')} ${few.length === 1 ? 'needs' : 'need'} more.`;
    return '';
  }

  async function teach(fineTune) {
    const names = classes();
    const why = problem(names);
    if (why) return say(why, 'error');
    const used = drawings.filter((d) => names.includes(d.name));
    const size = used[0].pixels.length;
    const images = new Uint8Array(used.length * size);
    used.forEach((d, i) => images.set(d.pixels, i * size));
    const labels = Uint8Array.from(used, (d) => names.indexOf(d.name));
    busy = true;
    render();
    say(`${fineTune ? 'Fine-tuning the current model on' : 'Training a new model on'} your ${used.length} drawings of ${names.length} classes…`);
    try {
      const { about, taken } = await app.request('teach', { name: limits.name, classes: names, images, labels, fineTune });
      const kept = fineTune ? (taken.length ? ` Kept from the current model: ${taken.join(', ')}.` : ' No layer of the current model fitted: all start afresh.') : '';
      say(`${about.train.toLocaleString('en')} training images from your drawings; ${about.test} held out to test.${kept} Training in the Train panel; draw to see what it reads.`, 'ok');
      app.emit('teachTrain', { steps: TEACH_STEPS, train: about.train });
    } catch (err) {
      say(`Could not teach it: ${err.message}.`, 'error');
    } finally {
      busy = false;
      render();
    }
  }

  // The buttons follow each keystroke; the names are kept once the field is left.
  namesInput.addEventListener('input', render);
  namesInput.addEventListener('change', changed);
  buttons[0].addEventListener('click', () => teach(false));
  buttons[1].addEventListener('click', () => teach(true));
  $('teach-clear').addEventListener('click', () => {
    drawings = [];
    say('');
    changed();
  });
  section.addEventListener('toggle', () => setTeaching(section.open));
  render();
  // The drawings of an earlier visit, unless some were made meanwhile.
  loadDrawings().then((kept) => {
    if (!kept || drawings.length) return;
    namesInput.value = kept.classes;
    drawings = kept.drawings;
    render();
  }).catch(() => {});
}
