// @ts-check
// Other frameworks' files in, and the model out to them: PyTorch's .pt and Paddle's .pdparams,
// dropped on the page, give their framework's test accuracy; the ONNX the CLI and the page write
// runs in ONNX Runtime (onnxruntime-web, in Node) with PyTorch's logits; the PyTorch project
// downloads whole. The fixtures and PyTorch's and Paddle's numbers come from
// scripts/interop_fixtures.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverAndBrowser, openPage, ROOT } from './harness.mjs';
import { evaluate, upload } from './model.mjs';
import { assertClose, FIXTURES, onnxLogits, REF } from './interop.mjs';

const env = serverAndBrowser();
const BIN = path.join(ROOT, 'target/release/cnn-playground');

test("the CLI's ONNX export runs in ONNX Runtime with PyTorch's logits, for both recipes' networks", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-'));
  for (const [file, logits] of [['tutorial_module.pt', 'logits.tutorial'], ['improved.pt', 'logits.improved'], ['sequential.pt', 'logits.sequential']]) {
    const out = path.join(dir, `${file}.onnx`);
    execFileSync(BIN, ['export', '--weights', path.join(FIXTURES, file), '--format', 'onnx', '--out', out]);
    const got = await onnxLogits(fs.readFileSync(out));
    assertClose(got.data, REF.tensor(logits).data, file);
  }
  fs.rmSync(dir, { recursive: true });
});

/** Drops a file on the Save and load panel, as a user drags one from their desktop. */
async function drop(page, file) {
  const bytes = fs.readFileSync(path.join(FIXTURES, file));
  const data = await page.evaluateHandle(({ name, b64 }) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bin], name));
    return dt;
  }, { name: file, b64: bytes.toString('base64') });
  await page.dispatchEvent('#model', 'drop', { dataTransfer: data });
  await page.waitForFunction(() => /Loaded|not loaded/.test(document.querySelector('[data-testid="model-status"]').textContent));
  return page.textContent('[data-testid="model-status"]');
}

async function download(page, testid) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${testid}"]`)]);
  return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
}

test("the tutorial's .pt and Paddle's .pdparams, dropped on the page, predict as their frameworks do; the model downloads as ONNX and PyTorch", async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  // The tutorial's own torch.save(model, ...): a whole module, read without running its pickle.
  assert.match(await drop(page, 'tutorial_module.pt'), /Loaded "tutorial_module.pt": 206,922 parameters/);
  assert.match(await page.textContent('[data-testid="model-story"]'), /Uploaded tutorial_module\.pt/);
  assert.equal(await evaluate(page), REF.correct.tutorial, "PyTorch's count of correct test digits");

  // Its ONNX download gives PyTorch's logits in ONNX Runtime.
  const onnx = await download(page, 'export-onnx');
  assert.equal(onnx.name, 'cnn-playground-model.onnx');
  assertClose((await onnxLogits(onnx.bytes)).data, REF.tensor('logits.tutorial').data, 'the page\'s ONNX');
  // The PyTorch project: a zip of model.py, train.py, the weights and a README.
  const project = await download(page, 'export-pytorch');
  assert.equal(project.name, 'cnn-playground-pytorch.zip');
  const text = project.bytes.toString('latin1');
  for (const f of ['model.py', 'train.py', 'model.safetensors', 'README.md']) {
    assert.ok(text.includes(`cnn-playground-pytorch/${f}`), f);
  }
  assert.ok(text.includes('self.conv1 = nn.Conv2d(1, 16, 3, padding=1)'));

  // Paddle's file, with its Linear weights in×out: Paddle's count.
  assert.match(await drop(page, 'tutorial.pdparams'), /Loaded "tutorial.pdparams": 206,922 parameters/);
  assert.equal(await evaluate(page), REF.correct.paddle, "Paddle's count of correct test digits");
  const pdparams = await download(page, 'export-pdparams');
  assert.equal(pdparams.name, 'cnn-playground-model.pdparams');
  assert.equal(pdparams.bytes[0], 0x80, 'a pickle');

  // A hostile pickle is refused in plain words, and the model stays.
  const hostile = path.join(os.tmpdir(), 'owned.pdparams');
  fs.writeFileSync(hostile, Buffer.from('\x80\x02cposix\nsystem\nX\x0b\x00\x00\x00touch owned\x85R.', 'latin1'));
  assert.match(await upload(page, hostile), /calls 'posix\.system', which a model file has no need of; it was not run\..*The current model is unchanged\./);
  assert.match(await page.textContent('[data-testid="model-story"]'), /Uploaded tutorial\.pdparams/);
  assert.deepEqual(problems, []);
  await context.close();
});
