// @ts-check
// Training in the page as a user does it: start, watch the charts move and the accuracy rise,
// pause and resume, settings that travel in the URL, an architecture that cannot work, a
// learning rate that makes the loss explode, and a model that survives a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, openPage } from './harness.mjs';

const env = serverAndBrowser();

const train = (page) => page.evaluate(() => {
  const p = /** @type {any} the panel, with its charts */ (document.getElementById('train'));
  return { steps: Number(p.dataset.steps ?? 0), state: p.dataset.state, points: p.charts.loss.count(0), accuracy: p.charts.accuracy.series[0].points.map((q) => q[1]) };
});
const waitSteps = (page, n) => page.waitForFunction((n) => Number(document.getElementById('train').dataset.steps ?? 0) >= n, n, { timeout: 120_000 });

test('training runs in a worker: charts move, accuracy rises, pause holds and resume continues', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  // Every state the run passes through, as the worker reports it.
  await page.evaluate(() => {
    /** @type {any} */ (window).runStates = [];
    globalThis.playground.on('state', ({ state }) => /** @type {any} */ (window).runStates.push(state));
  });
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 250);
  await page.click('[data-testid="train-pause"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'paused');
  const paused = await train(page);
  assert.ok(paused.points >= 5, `the loss chart has ${paused.points} points`);
  const acc = paused.accuracy;
  const early = acc.slice(0, 3).reduce((a, b) => a + b) / 3;
  const late = acc.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(early < 0.5 && late > 0.8, `batch accuracy rose from ${early} to ${late}`);
  assert.match(await page.textContent('[data-testid="train-progress-text"]'), /epoch 1\/5 .* images\/s/);
  // Paused means paused.
  await page.waitForTimeout(1500);
  assert.equal((await train(page)).steps, paused.steps);
  assert.ok(await page.isEnabled('[data-testid="train-resume"]'));
  await page.click('[data-testid="train-resume"]');
  await waitSteps(page, paused.steps + 50);
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle');
  // The moves are those protocol.js writes down, and Stop passes through 'stopping'.
  const { states, allowed } = await page.evaluate(async () => ({
    // @ts-expect-error: the page's module, found from its address, not from here
    states: /** @type {any} */ (window).runStates, allowed: (await import('./js/protocol.js')).RUN_STATES,
  }));
  assert.deepEqual(states, ['training', 'paused', 'training', 'stopping', 'idle']);
  states.slice(1).forEach((s, i) => assert.ok(allowed[states[i]].includes(s), `${states[i]} → ${s}`));
  assert.deepEqual(problems, []);

  // The model survives a reload (the stop saved it to IndexedDB).
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(() => /Restored the model/.test(document.querySelector('[data-testid="train-status"]').textContent));
  await context.close();
});

test('settings live in the URL, and a broken architecture is explained, not run', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await page.fill('[data-testid="train-lr"]', '0.0005');
  await page.dispatchEvent('[data-testid="train-lr"]', 'change');
  await page.fill('[data-testid="train-batch"]', '32');
  await page.dispatchEvent('[data-testid="train-batch"]', 'change');
  const url = page.url();
  assert.match(url, /lr=0\.0005/);
  assert.match(url, /batch=32/);
  const other = await openPage(env.browser, url);
  assert.equal(await other.page.inputValue('[data-testid="train-lr"]'), '0.0005');
  assert.equal(await other.page.inputValue('[data-testid="train-batch"]'), '32');
  await other.context.close();

  // Removing the flatten layer leaves a linear layer with a 3-D input.
  await page.click('[data-testid="arch"] summary');
  await page.click('[data-testid="arch-layer-6"] button');
  await page.waitForFunction(() => /** @type {HTMLElement} */ (document.querySelector('[data-testid="arch"]')).dataset.valid === 'false');
  assert.match(await page.textContent('[data-testid="arch-error"]'), /flatten/);
  assert.ok(await page.isDisabled('[data-testid="train-start"]'));
  // Choosing the tutorial's recipe again restores its network, and Start comes back.
  await page.selectOption('[data-testid="train-recipe"]', 'tutorial');
  await page.waitForFunction(() => /** @type {HTMLElement} */ (document.querySelector('[data-testid="arch"]')).dataset.valid === 'true');
  assert.match(await page.textContent('[data-testid="arch-summary"]'), /206,922 parameters/);
  assert.ok(await page.isEnabled('[data-testid="train-start"]'));
  // The last layer gives a score for each of the dataset's classes, whatever is typed there.
  await page.fill('[data-testid="arch-9-out_features"]', '5');
  await page.dispatchEvent('[data-testid="arch-9-out_features"]', 'change');
  assert.equal(await page.inputValue('[data-testid="arch-9-out_features"]'), '10');
  assert.match(await page.textContent('[data-testid="arch-summary"]'), /a score for each of MNIST's 10 classes/);
  // A network that ends in anything else must give them itself: a pooled conv of 4 channels cannot.
  for (const i of [9, 8, 7, 6]) await page.click(`[data-testid="arch-layer-${i}"] button[aria-label^="Remove"]`);
  await page.fill('[data-testid="arch-3-out_channels"]', '4');
  await page.dispatchEvent('[data-testid="arch-3-out_channels"]', 'change');
  await page.selectOption('[data-testid="arch-add-type"]', 'adaptive_avg_pool2d');
  await page.click('[data-testid="arch-insert-5"]');
  await page.fill('[data-testid="arch-6-output_size"]', '1');
  await page.dispatchEvent('[data-testid="arch-6-output_size"]', 'change');
  await page.selectOption('[data-testid="arch-add-type"]', 'flatten');
  await page.click('[data-testid="arch-insert-6"]');
  await page.waitForFunction(() => /** @type {HTMLElement} */ (document.querySelector('[data-testid="arch"]')).dataset.valid === 'false');
  assert.match(await page.textContent('[data-testid="arch-error"]'), /gives 4 scores, but MNIST has 10 classes: it needs at least 10 outputs/);
  assert.ok(await page.isDisabled('[data-testid="train-start"]'));
  assert.deepEqual(problems, []);
  await context.close();
});

test('the editor and the form take their layers, fields, ranges and defaults from the core', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const core = await page.evaluate(async () => {
    // @ts-expect-error: the page's module, found from its address, not from here
    const c = await import('./js/core.js');
    const core = await c.loadCore();
    return { types: core.layer_types(), fields: core.training_fields(), recipes: core.recipes() };
  });
  // Every layer type the core has is offered, by PyTorch's name, and nothing else.
  const offered = await page.$$eval('[data-testid="arch-add-type"] option', (os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(offered, core.types.map((t) => [t.type, t.label]));
  assert.deepEqual(
    await page.$$eval('[data-testid="train-recipe"] option', (os) => os.map((o) => o.value)),
    [...core.recipes.map((r) => r.name), 'custom'],
  );
  // A new conv has its required fields set and PyTorch's defaults left out, shown as such.
  await page.click('[data-testid="arch"] summary');
  await page.selectOption('[data-testid="arch-add-type"]', 'conv2d');
  await page.click('[data-testid="arch-add"]');
  const conv = core.types.find((t) => t.type === 'conv2d');
  for (const f of conv.fields) {
    const input = `[data-testid="arch-9-${f.name}"]`;
    if (f.kind === 'flag') {
      assert.equal(await page.isChecked(input), f.value !== 0, f.name);
      continue;
    }
    assert.equal(await page.inputValue(input), f.required ? String(f.value) : '', f.name);
    assert.equal(await page.getAttribute(input, 'placeholder'), f.required ? '' : String(f.value), f.name);
  }
  // Before the classifier a conv cannot work: the core says why.
  await page.waitForFunction(() => /** @type {HTMLElement} */ (document.querySelector('[data-testid="arch"]')).dataset.valid === 'false');
  assert.match(await page.textContent('[data-testid="arch-error"]'), /layer 10 \(conv3\): needs a C×H×W input/);
  // A field out of its range is refused in the range the core states.
  await page.click('[data-testid="arch-layer-9"] button');
  await page.fill('[data-testid="arch-0-out_channels"]', '0');
  await page.dispatchEvent('[data-testid="arch-0-out_channels"]', 'change');
  assert.match(await page.textContent('[data-testid="arch-error"]'), /out_channels must be a whole number from 1 to 1024, got 0/);
  // The form's ranges are the core's, and so are its refusals.
  const epochs = core.fields.find((f) => f.name === 'epochs');
  assert.equal(await page.getAttribute('[data-testid="train-epochs"]', 'max'), String(epochs.max));
  await page.fill('[data-testid="train-epochs"]', '0');
  await page.dispatchEvent('[data-testid="train-epochs"]', 'change');
  assert.equal(await page.textContent('[data-testid="train-status"]'), `Epochs must be a whole number from 1 to ${epochs.max}, got 0.`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the fast recipe: its settings in the form and the link, and how it trained in the model panel', async () => {
  const { page, context, problems } = await openPage(env.browser, `${env.server.url}#recipe=fast`);
  const value = (id) => page.inputValue(`[data-testid="${id}"]`);
  assert.equal(await value('train-recipe'), 'fast');
  assert.deepEqual(await Promise.all(['train-epochs', 'train-lr', 'train-schedule', 'train-smoothing'].map(value)), ['1', '0.004', 'one_cycle', '0.1']);
  // The schedules offered are the core's.
  const schedules = await page.$$eval('[data-testid="train-schedule"] option', (os) => os.map((o) => `${o.value}: ${o.textContent}`));
  assert.deepEqual(schedules, ['constant: constant rate', 'cosine: cosine to zero', 'one_cycle: one cycle']);
  // A smoothing of 1 would leave no label: refused in the core's words.
  await page.fill('[data-testid="train-smoothing"]', '1');
  await page.dispatchEvent('[data-testid="train-smoothing"]', 'change');
  assert.match(await page.textContent('[data-testid="train-status"]'), /^Label smoothing must be .*below 1.*, got 1\.$/);
  assert.ok(await page.isDisabled('[data-testid="train-start"]'));
  await page.fill('[data-testid="train-smoothing"]', '0.1');
  await page.dispatchEvent('[data-testid="train-smoothing"]', 'change');
  assert.match(page.url(), /schedule=one_cycle/);
  assert.match(page.url(), /smoothing=0\.1/);
  // It trains; the model panel says how.
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 20);
  await page.click('[data-testid="train-stop"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'idle');
  assert.match(await page.textContent('[data-testid="model-summary"]'),
    /conv1 → bn1 → relu1 .* last trained with Adam at 0\.004, batch 64, one cycle, labels smoothed by 0\.1$/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a network of the newer layers is built in the editor, trains, and shows inside', async () => {
  const { page, context, problems } = await openPage(env.browser, `${env.server.url}#threads=1`);
  await page.click('[data-testid="arch"] summary');
  const remove = (i) => page.click(`[data-testid="arch-layer-${i}"] button[aria-label^="Remove"]`);
  const addAfter = async (i, type) => {
    await page.selectOption('[data-testid="arch-add-type"]', type);
    await page.click(`[data-testid="arch-insert-${i}"]`);
  };
  // From the tutorial's conv1 relu1 pool1 conv2 relu2 pool2 flat fc1 relu3 fc2 to
  // conv1 GELU AvgPool2d conv2 LeakyReLU AdaptiveAvgPool2d(7) flat fc1 Tanh fc2.
  await remove(1); await remove(1);
  await addAfter(0, 'avg_pool2d'); await addAfter(0, 'gelu');
  await remove(4); await remove(4);
  await addAfter(3, 'leaky_relu'); await addAfter(4, 'adaptive_avg_pool2d');
  await remove(8); await addAfter(7, 'tanh');
  await page.fill('[data-testid="arch-5-output_size"]', '7');
  await page.dispatchEvent('[data-testid="arch-5-output_size"]', 'change');
  // conv2 with a 3×5 kernel in 2 groups, and fc1 without a bias, as PyTorch's arguments say them.
  await page.fill('[data-testid="arch-3-kernel_size"]', '3×5');
  await page.dispatchEvent('[data-testid="arch-3-kernel_size"]', 'change');
  await page.fill('[data-testid="arch-3-groups"]', '2');
  await page.dispatchEvent('[data-testid="arch-3-groups"]', 'change');
  await page.uncheck('[data-testid="arch-7-bias"]');
  await page.selectOption('[data-testid="arch-1-approximate"]', 'tanh');
  await page.waitForFunction(() => /** @type {HTMLElement} */ (document.querySelector('[data-testid="arch"]')).dataset.valid === 'true');
  const names = await page.$$eval('[data-testid="arch-layers"] .arch-name', (els) => els.map((e) => e.textContent));
  assert.deepEqual(names, [
    'conv1 · Conv2d', 'gelu1 · GELU', 'avgpool1 · AvgPool2d', 'conv2 · Conv2d', 'lrelu1 · LeakyReLU',
    'adaptivepool1 · AdaptiveAvgPool2d', 'flat · Flatten', 'fc1 · Linear', 'tanh1 · Tanh', 'fc2 · Linear',
  ]);
  // 160 + 8·3·5·32 + 32 + 1,568·128 + 1,290: the adaptive pooling leaves 32×7×7 features.
  assert.match(await page.textContent('[data-testid="arch-summary"]'), /10 layers, 206,026 parameters/);
  const arch = JSON.parse(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('arch'));
  assert.deepEqual([arch.layers[3].kernel_size, arch.layers[3].groups], [[3, 5], 2]);
  assert.equal(arch.layers[7].bias, false);
  assert.equal(arch.layers[1].approximate, 'tanh');
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 300);
  await page.click('[data-testid="train-pause"]');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'paused');
  const { accuracy } = await train(page);
  const late = accuracy.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(late > 0.6, `batch accuracy reached ${late}`);
  // Inside the network: a map for each new layer, drawn from the trained model.
  for (const name of ['gelu1', 'avgpool1', 'lrelu1', 'adaptivepool1', 'tanh1']) {
    await page.waitForSelector(`[data-testid="layer-${name}"]`, { state: 'attached' });
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('a learning rate that blows the loss up stops training with an explanation', async () => {
  const { page, context } = await openPage(env.browser, env.server.url);
  await page.selectOption('[data-testid="train-optimizer"]', 'sgd');
  await page.fill('[data-testid="train-lr"]', '1e38');
  await page.dispatchEvent('[data-testid="train-lr"]', 'change');
  await page.click('[data-testid="train-start"]');
  await page.waitForFunction(() => /Lower the learning rate/.test(document.querySelector('[data-testid="train-status"]').textContent), null, { timeout: 120_000 });
  assert.equal((await train(page)).state, 'paused');
  await context.close();
});

const threads = (page) => page.evaluate(() => ({
  threads: document.getElementById('train').dataset.threads,
  status: document.querySelector('[data-testid="threads-status"]').textContent,
}));
const waitThreads = (page, n) => page.waitForFunction((n) => document.getElementById('train').dataset.threads === String(n), n, { timeout: 30_000 });

test('two workers share each batch when the page is cross-origin isolated, one when asked', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await waitThreads(page, 2);
  assert.match((await threads(page)).status, /2 workers/);
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 60);
  // Down to one worker while training, and back: training goes on throughout.
  await page.selectOption('[data-testid="train-threads"]', '1');
  await waitThreads(page, 1);
  assert.match((await threads(page)).status, /1 worker: one worker was chosen/);
  assert.match(page.url(), /threads=1/);
  let { steps } = await train(page);
  await waitSteps(page, steps + 30);
  await page.selectOption('[data-testid="train-threads"]', '2');
  await page.waitForFunction(() => /2 workers/.test(document.querySelector('[data-testid="threads-status"]').textContent), null, { timeout: 30_000 });
  ({ steps } = await train(page));
  await waitSteps(page, steps + 30);
  const acc = (await train(page)).accuracy;
  assert.ok(acc.at(-1) > 0.7, `batch accuracy ${acc.at(-1)} after ${steps + 30} steps`);
  await page.click('[data-testid="train-pause"]');
  assert.deepEqual(problems, []);
  await context.close();
});

test('without cross-origin isolation the page trains on one worker and says why', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url, { isolated: false });
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  await waitThreads(page, 1);
  assert.match((await threads(page)).status, /not cross-origin isolated/);
  await page.click('[data-testid="train-start"]');
  await waitSteps(page, 20);
  await page.click('[data-testid="train-pause"]');
  assert.deepEqual(problems, []);
  await context.close();
});
