// @ts-check
// PyTorch's and Paddle's files and what their frameworks compute from them
// (scripts/interop_fixtures.py writes both): the reference file's tensors and counts, and ONNX
// Runtime (onnxruntime-web, in Node) running an ONNX export on its batch.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { ROOT } from './harness.mjs';

export const FIXTURES = path.join(ROOT, 'tests/fixtures/interop');
ort.env.wasm.numThreads = 1;

/** The reference file: tensors by name, and its metadata. */
function reference() {
  const bytes = fs.readFileSync(path.join(FIXTURES, 'reference.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
  const tensor = (name) => {
    const { shape, data_offsets: [a, b] } = header[name];
    const raw = bytes.subarray(8 + n + a, 8 + n + b);
    return { shape, data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)) };
  };
  return { tensor, correct: JSON.parse(header.__metadata__.correct) };
}
export const REF = reference();

/** ONNX Runtime's logits for the reference batch, and a batch of a different size. */
export async function onnxLogits(bytes) {
  const session = await ort.InferenceSession.create(bytes);
  const { data, shape } = REF.tensor('input');
  const run = async (n) => (await session.run({ input: new ort.Tensor('float32', data.slice(0, n * 784), [n, ...shape.slice(1)]) })).logits;
  const three = await run(3);
  assert.deepEqual(three.dims, [3, 10], 'the batch dimension is free');
  return run(shape[0]);
}

/** Fails unless `got` is `want` within 1e-4 everywhere. */
export function assertClose(got, want, label) {
  assert.equal(got.length, want.length, label);
  const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
  assert.ok(worst <= 1e-4, `${label}: largest difference ${worst}`);
}
