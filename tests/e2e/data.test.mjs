// @ts-check
// Datasets as a user brings them: the built-in Fashion-MNIST chosen from the menu, CIFAR-10's
// archive, a folder and a zip of class folders, an IDX set, each dropped on the page; every panel
// follows (the class names, the images in colour, what can be drawn); a bad file is refused in
// words and the dataset and model in use stay; a dataset kept in the browser comes back on reload.
// The files are scripts/data_fixtures.py's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { serverAndBrowser, openPage, ROOT } from './harness.mjs';

const env = serverAndBrowser();
const FIXTURES = path.join(ROOT, 'tests/fixtures/data');
const fixture = (name) => path.join(FIXTURES, name);

/** What the Data panel says the dataset in use is. */
const about = (page) => page.textContent('[data-testid="data-about"]');
const dataStatus = (page) => page.textContent('[data-testid="data-panel-status"]');
const inUse = (page, name) => page.waitForFunction((n) => document.getElementById('data').dataset.dataset === n, name, { timeout: 120_000 });
const ready = (page) => page.waitForFunction(() => document.body.dataset.ready === 'true');

/** Chooses files in the Data panel's picker and waits for the worker's answer. */
async function choose(page, files, testid = 'data-files') {
  const before = await dataStatus(page);
  await page.setInputFiles(`[data-testid="${testid}"]`, files);
  await page.waitForFunction((b) => {
    const s = document.querySelector('[data-testid="data-panel-status"]');
    return s.textContent !== b && /^(Using|.* could not be used)/.test(s.textContent);
  }, before, { timeout: 120_000 });
  return dataStatus(page);
}

/** Clicks a download button; resolves to the file's bytes as text (the zips are stored). */
async function download(page, testid) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${testid}"]`)]);
  return fs.readFileSync(await file.path());
}

/** The logits' shape ONNX Runtime gives for a batch of two of `shape`. */
async function onnxOutput(bytes, shape) {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes);
  const n = 2 * shape.reduce((a, b) => a * b);
  const { logits } = await session.run({ input: new ort.Tensor('float32', new Float32Array(n).fill(0.5), [2, ...shape]) });
  return logits.dims;
}

/** Trains `steps` steps, then evaluates; resolves to the Train panel's report. */
async function trainAndEvaluate(page, steps) {
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction((n) => Number(document.getElementById('train').dataset.steps ?? 0) >= n
    || document.getElementById('train').dataset.state === 'done', steps, { timeout: 120_000 });
  // A small set may finish its epochs before Stop is pressed.
  await page.click('[data-testid="train-stop"]', { timeout: 2000 }).catch(() => {});
  await page.waitForFunction(() => ['idle', 'done'].includes(document.getElementById('train').dataset.state));
  await page.click('[data-testid="train-evaluate"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.testAccuracy !== undefined
    && !/** @type {HTMLElement} */ (document.querySelector('[data-testid="epoch-results"]')).hidden, null, { timeout: 120_000 });
  return page.evaluate(() => ({
    heading: [...document.querySelectorAll('[data-testid="confusion"] tr:first-child th')].map((th) => th.textContent),
    accuracy: document.querySelector('[data-testid="test-accuracy"]').textContent,
    perClass: document.querySelector('[data-testid="per-class-title"]').textContent,
  }));
}

test('Fashion-MNIST is one choice away, and every panel names its classes', async () => {
  const { page, problems } = await openPage(env.browser, env.server.url);
  await ready(page);
  await inUse(page, 'MNIST');
  assert.match(await about(page), /MNIST \(built in\): gray images of 28×28 px, 10 classes/);
  await page.selectOption('[data-testid="data-choice"]', 'builtin:fashion-mnist');
  await inUse(page, 'Fashion-MNIST');
  // Read whole (its test split is drawn here), then the split is said wherever accuracy is.
  await page.waitForFunction(() => /60,000 for training, 10,000 for testing/.test(document.querySelector('[data-testid="data-about"]').textContent), null, { timeout: 180_000 });
  assert.match(await about(page), /not an official test set/);
  assert.match(page.url(), /data=fashion-mnist/);
  assert.match(await page.textContent('[data-testid="draw-probs"]'), /Trouser/);
  const report = await trainAndEvaluate(page, 60);
  assert.deepEqual(report.heading.slice(1, 3), ['T-shirt/top', 'Trouser']);
  assert.match(report.accuracy, /not an official test set/);
  assert.match(report.perClass, /Fashion-MNIST/);
  // Back to MNIST: the digits stream in again, the model fits and stays.
  await page.selectOption('[data-testid="data-choice"]', 'builtin:mnist');
  await inUse(page, 'MNIST');
  await page.waitForFunction(() => /^Using MNIST/.test(document.querySelector('[data-testid="data-panel-status"]').textContent));
  assert.match(await dataStatus(page), /The model fits it and is kept/);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a CIFAR-10 archive trains in colour; a bad one is refused and the dataset stays', async () => {
  const { page, problems } = await openPage(env.browser, env.server.url);
  await ready(page);
  await inUse(page, 'MNIST');
  const said = await choose(page, fixture('cifar-10-binary.tar.gz'));
  assert.match(said, /Using CIFAR-10\. The network was rebuilt for its 3×32×32 images and 10 classes/);
  assert.match(await about(page), /colour images of 32×32 px, 10 classes/);
  assert.match(await about(page), /airplane, automobile, bird/);
  // The architecture editor shows the network fitted to the data.
  assert.match(await page.textContent('[data-testid="arch-summary"]'), /3×32×32|32×32/);
  const report = await trainAndEvaluate(page, 3);
  assert.deepEqual(report.heading.slice(1, 3), ['airplane', 'automobile']);
  // The PyTorch project trains on torchvision's CIFAR-10: no copy of the data travels with it.
  const project = (await download(page, 'export-pytorch')).toString('latin1');
  assert.ok(project.includes('DATASET = "CIFAR-10"') && project.includes('"airplane","automobile"'));
  assert.ok(!project.includes('cnn-playground-pytorch/dataset.safetensors'));
  // The misclassified images are drawn as they are: 32×32, in colour.
  const gallery = await page.evaluate(() => [.../** @type {NodeListOf<HTMLCanvasElement>} */ (document.querySelectorAll('[data-testid="misclassified"] canvas'))].map((c) => [c.width, c.height]));
  assert.ok(gallery.length > 0 && gallery.every(([w, h]) => w === 32 && h === 32), JSON.stringify(gallery));
  // Draw follows: no drawing on colour data, a test image instead, its prediction a class name.
  assert.match(await page.textContent('#draw-title'), /Show it an image/);
  await page.click('[data-testid="draw-random"]');
  await page.waitForFunction(() => document.getElementById('draw').dataset.source?.startsWith('test:'));
  await page.waitForFunction(() => /airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck/.test(document.querySelector('[data-testid="draw-prediction"]').textContent));
  // Layers follows: the input in colour, 32×32.
  await page.waitForFunction(() => /** @type {HTMLCanvasElement} */ (document.querySelector('[data-testid="layers-input"]')).width === 32);
  // A photo of the user's, 100×80: centre-cropped to 80×80 and resized to 32×32, then read.
  const before = Number(await page.evaluate(() => document.getElementById('draw').dataset.predictions ?? 0));
  await page.setInputFiles('[data-testid="draw-photo"]', fixture('hostile/mixed/b/1.png'));
  await page.waitForFunction(() => document.getElementById('draw').dataset.source === 'photo');
  assert.match(await page.textContent('[data-testid="draw-status"]'), /Your photo 1\.png, centre-cropped and resized to 32×32/);
  await page.waitForFunction((n) => Number(document.getElementById('draw').dataset.predictions) > n, before);
  assert.match(await page.textContent('[data-testid="draw-prediction"]'), /airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck/);
  // A file that is not CIFAR: refused in words; CIFAR-10 and its model stay.
  const params = await page.evaluate(() => document.getElementById('train').dataset.params);
  const refused = await choose(page, fixture('hostile/not-cifar.tar.gz'));
  assert.match(refused, /could not be used: not CIFAR-10's or CIFAR-100's binary version/);
  assert.match(refused, /The dataset in use is unchanged/);
  assert.equal(await page.evaluate(() => document.getElementById('data').dataset.dataset), 'CIFAR-10');
  assert.equal(await page.evaluate(() => document.getElementById('train').dataset.params), params);
  // Kept in this browser: a reload finds the dataset and the model trained on it.
  await page.reload();
  await ready(page);
  await inUse(page, 'CIFAR-10');
  await page.waitForFunction(() => document.getElementById('train').dataset.params !== undefined);
  assert.equal(await page.evaluate(() => document.getElementById('train').dataset.params), params);
  assert.match(await page.textContent('[data-testid="data-kept-list"]'), /CIFAR-10: 30 images/);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a folder, a zip and an IDX set of the user\'s own each become the dataset', async () => {
  const { page, problems } = await openPage(env.browser, env.server.url);
  await ready(page);
  await inUse(page, 'MNIST');
  // A folder of class folders, chosen with the folder picker: decoded by the browser.
  let said = await choose(page, fixture('shapes'), 'data-folder');
  assert.match(said, /Using shapes\./);
  assert.match(said, /Left out: 1 file that is not an image in a class folder; 1 file that could not be read as an image/);
  assert.match(await about(page), /colour images of 16×16 px, 3 classes/);
  assert.match(await about(page), /Classes: circle, cross, line/);
  await trainAndEvaluate(page, 5);
  // Its exports carry the input and the class names: ONNX's metadata; the PyTorch project's
  // model.py, with the dataset's own file for train.py.
  const onnx = await download(page, 'export-onnx');
  assert.deepEqual(await onnxOutput(onnx, [3, 16, 16]), [2, 3]);
  assert.ok(onnx.includes('["circle","cross","line"]'), 'class names in the ONNX metadata');
  const project = (await download(page, 'export-pytorch')).toString('latin1');
  assert.ok(project.includes('CLASSES = ["circle","cross","line"]'));
  assert.ok(project.includes('INPUT_SHAPE = (3, 16, 16)'));
  assert.ok(project.includes('cnn-playground-pytorch/dataset.safetensors'), 'the dataset travels with the project');
  // The same as a zip, at a size chosen.
  await page.selectOption('[data-testid="data-size"]', '28');
  said = await choose(page, fixture('shapes.zip'));
  assert.match(said, /Using shapes\./);
  assert.match(said, /1 file with a name that reaches outside the folder/);
  assert.match(await about(page), /colour images of 28×28 px/);
  // An IDX set: four files chosen together.
  const idx = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
  said = await choose(page, idx.map((f) => fixture(`idx/${f}`)));
  assert.match(said, /Using IDX set\. The network was rebuilt for its 1×10×12 images and 3 classes/);
  assert.match(await about(page), /30 for training, 9 for testing\./);
  // Gray: drawing is back, fitted to the data's size.
  assert.match(await page.textContent('[data-testid="draw-mode"]'), /fitted to 12×10/);
  // One class is not a dataset.
  said = await choose(page, fixture('hostile/one-class'), 'data-folder');
  assert.match(said, /could not be used: one class folder \('cats'\)/);
  assert.equal(await page.evaluate(() => document.getElementById('data').dataset.dataset), 'IDX set');
  // Each kept, and deletable.
  const kept = await page.textContent('[data-testid="data-kept-list"]');
  assert.match(kept, /shapes: 23 images/);
  assert.match(kept, /IDX set: 39 images/);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a colour dataset of the user\'s is learnt to 95% in the page', async () => {
  const { page, problems } = await openPage(env.browser, env.server.url, { viewport: { width: 1280, height: 1000 } });
  await ready(page);
  await inUse(page, 'MNIST');
  // scripts/data_fixtures.py's red and blue discs and crosses: colour and shape both decide.
  const said = await choose(page, fixture('colour-shapes.zip'));
  assert.match(said, /Using colour-shapes\./);
  assert.match(await about(page), /colour images of 20×20 px, 4 classes/);
  await page.selectOption('[data-testid="train-recipe"]', 'improved');
  await page.fill('[data-testid="train-epochs"]', '10');
  await page.dispatchEvent('[data-testid="train-epochs"]', 'change');
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'done', null, { timeout: 240_000 });
  await page.waitForFunction(() => !/** @type {HTMLElement} */ (document.querySelector('[data-testid="epoch-results"]')).hidden);
  const accuracy = Number(await page.evaluate(() => document.getElementById('train').dataset.testAccuracy));
  assert.ok(accuracy >= 0.95, `test accuracy ${accuracy}`);
  const heading = await page.$$eval('[data-testid="confusion"] tr:first-child th', (ths) => ths.map((th) => th.textContent));
  assert.deepEqual(heading.slice(1), ['blue cross', 'blue disc', 'red cross', 'red disc']);
  // The Data panel shows a sample, each image under its class.
  await page.waitForFunction(() => Number(document.getElementById('data').dataset.samples) === 16);
  assert.match(await page.textContent('[data-testid="data-samples"]'), /(red|blue) (disc|cross)/);
  // The README's picture of a colour dataset trained: the Data panel's sample, then Train's.
  const clip = await page.evaluate(() => {
    const [data, train] = ['data', 'train'].map((id) => document.getElementById(id).getBoundingClientRect());
    return { x: data.x, y: data.y + window.scrollY, width: data.width, height: train.bottom - data.top };
  });
  await page.screenshot({ path: path.join(ROOT, 'docs/colour-dataset.png'), fullPage: true, clip });
  assert.deepEqual(problems, []);
  await page.context().close();
});
