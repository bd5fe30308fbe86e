// The driver of scripts/bench.sh: runs the native benchmark, then serves the repository's bench/,
// www/ and node_modules/ with our own server and opens bench/index.html in Debian's headless
// Chromium, where our wasm core and TensorFlow.js's wasm backend take turns. Prints one table to
// stdout (progress goes to stderr) and writes every figure to bench/results.json.
// A benchmark, not a test: it asserts nothing about speed.
//
//   node bench/run.mjs [--runs 5] [--steps 20] [--warmup 3] [--infer 200] [--threads N] [--out FILE]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, launchBrowser, startServer } from '../tests/e2e/harness.mjs';

const BIN = path.join(ROOT, 'target/release/cnn-playground');
const USAGE = 'usage: node bench/run.mjs [--runs 5] [--steps 20] [--warmup 3] [--infer 200] [--threads N] [--out bench/results.json]';

function parseArgs(argv) {
  const options = { runs: 5, steps: 20, warmup: 3, infer: 200, threads: null, out: path.join(ROOT, 'bench/results.json') };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !(name in options)) throw new Error(`unknown argument '${argv[i]}'\n${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (name === 'out') {
      options.out = path.resolve(value);
    } else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: '${value}' is not a whole number ≥ 1`);
      options[name] = n;
    }
  }
  return options;
}

const progress = (message) => process.stderr.write(`${message}\n`);

function machine() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try { nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()); } catch { /* keep node's count */ }
  return { nproc, cpu: model, flags: ['avx2', 'fma', 'avx512f'].filter((f) => new RegExp(`\\b${f}\\b`).test(cpuinfo)) };
}

function sizes(file) {
  const bytes = fs.readFileSync(file);
  return { file: path.relative(ROOT, file), bytes: bytes.length, gzip_bytes: zlib.gzipSync(bytes, { level: 9 }).length };
}

/** `cnn-playground bench --json`: the same core built natively, one thread. */
function nativeBench({ runs, steps }) {
  const json = path.join(os.tmpdir(), `cnn-playground-bench-${process.pid}.json`);
  progress(`native: ${BIN} bench --runs ${runs} --steps ${steps}`);
  execFileSync(BIN, ['bench', '--json', json, '--runs', String(runs), '--steps', String(steps)], { stdio: ['ignore', process.stderr, 'inherit'] });
  const report = JSON.parse(fs.readFileSync(json, 'utf8'));
  fs.rmSync(json);
  return report;
}

/**
 * Our server serves one folder and wants an index.html at its top: a temporary folder of links to
 * bench/, www/ and node_modules/ gives the page /bench, /www/pkg and /node_modules/@tensorflow.
 */
function servedRoot() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-playground-bench-'));
  for (const name of ['bench', 'www', 'node_modules']) fs.symlinkSync(path.join(ROOT, name), path.join(dir, name));
  fs.symlinkSync(path.join(ROOT, 'bench/index.html'), path.join(dir, 'index.html'));
  return {
    dir,
    remove() {
      for (const name of fs.readdirSync(dir)) fs.unlinkSync(path.join(dir, name)); // links only
      fs.rmdirSync(dir);
    },
  };
}


/** Opens bench/index.html and waits for its figures; any page error or foreign request ends it. */
async function browserBench(options) {
  const root = servedRoot();
  const server = await startServer(root.dir);
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext()).newPage();
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
      else if (m.text().startsWith('[bench]')) progress(m.text().slice(8));
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (![server.url, 'blob:', 'data:'].some((prefix) => r.url().startsWith(prefix))) problems.push(`request to another origin: ${r.url()}`);
    });
    const query = new URLSearchParams({ runs: options.runs, steps: options.steps, warmup: options.warmup, infer: options.infer });
    if (options.threads) query.set('threads', options.threads);
    await page.goto(`${server.url}bench/index.html?${query}`);
    const figures = await page.evaluate(() => window.bench);
    if (problems.length || !figures) throw new Error(problems.join('\n') || 'the page did not start the benchmark (window.bench is missing)');
    return { chromium: browser.version(), ...figures };
  } finally {
    await browser.close();
    await server.stop();
    root.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// The table.

const fixed = (digits) => (v) => (v == null || Number.isNaN(v) ? '—' : v.toFixed(digits));
const ratio = (a, b) => (a == null || b == null ? '—' : `${(a / b).toFixed(2)}×`);
const kib = (s) => `${(s.bytes / 1024).toFixed(0)} / ${(s.gzip_bytes / 1024).toFixed(0)}`;

function table(results) {
  const { ours, ours_2_threads: ours2, tfjs, native, wasm_size: size } = results;
  const build = tfjs.wasmFile?.replace(/^tfjs-backend-wasm-?|\.wasm$/g, '') || 'plain';
  const best = (key) => Math.max(ours[key] ?? 0, ours2[key] ?? 0) || null;
  const rows = [
    ['training images/s', fixed(0), 'train_images_per_s', best],
    ['training GFLOP/s', fixed(2), 'train_gflops', best],
    ['batch-1 inference ms', fixed(3), 'infer_batch1_ms'],
    ['mean filter 1133×1700×3 ms', fixed(1), 'mean_filter_1133x1700_ms'],
  ].map(([label, format, key, pick = (k) => ours[k]]) => [
    label, format(ours[key]), format(ours2[key]), format(tfjs[key]), ratio(pick(key), tfjs[key]), format(native[key]),
  ]);
  rows.push(['wasm KiB, raw / gzip -9', kib(size.ours), '(same)', kib(size.tfjs), `${(size.ours.bytes / size.tfjs.bytes).toFixed(2)}× / ${(size.ours.gzip_bytes / size.tfjs.gzip_bytes).toFixed(2)}×`, '—']);
  const header = [
    ['', 'ours', 'ours', 'TF.js 4.22 wasm', 'ratio', 'ours'],
    ['', 'wasm, Chromium', 'wasm, Chromium', `Chromium, ${build || 'plain'}, ${tfjs.threads} thr,`, 'ours (best)', 'native'],
    ['', '1 thread', ours2.not_run ? '2 workers: n/a' : '2 workers', 'stand-in filter grad', '÷ TF.js', '1 thread'],
  ];
  const all = [...header, ...rows];
  const widths = all[0].map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ');
  const rule = '─'.repeat(line(all[0]).length);
  const m = results.machine;
  const { settings } = results;
  return [
    `The tutorial's CNN (conv 16 → pool → conv 32 → pool → fc 128 → fc 10, ${(settings.forwardFlopPerImage / 1e6).toFixed(3)} MFLOP/image forward, ` +
      `a training step ≈ 3×), batch ${settings.batch}, Adam 1e-3, f32, real MNIST (the first ${settings.poolImages} training images).`,
    `Machine: ${m.nproc} CPUs (nproc), ${m.cpu}${m.flags.length ? ` (${m.flags.join(', ')})` : ''}; Chromium ${results.chromium}, headless; ` +
      `crossOriginIsolated ${results.page.crossOriginIsolated}, navigator.hardwareConcurrency ${results.page.hardwareConcurrency}.`,
    `TF.js: ${tfjs.wasmFile} (SIMD ${tfjs.simd}, threads supported ${tfjs.multithread}), ${tfjs.threads} XNNPACK thread(s) ` +
      `(${tfjs.threadsRequested === 'default' ? 'its default' : `--threads ${tfjs.threadsRequested}`}; it caps them at ` +
      `hardwareConcurrency / 2 = ${tfjs.threadsCap}${tfjs.hardwareConcurrencyShownToTfjs !== results.page.hardwareConcurrency
        ? `, so it was shown ${tfjs.hardwareConcurrencyShownToTfjs} cores while it started` : ''}); ` +
      `ours: 1 thread, and ${ours2.not_run ? `not on 2 workers (${ours2.not_run})` : '2 workers for training (a replica computes half of each batch)'}; ` +
      `Conv2DBackpropFilter: ${tfjs.standInConv2DBackpropFilter ? 'missing from the backend, stand-in registered' : 'the backend\'s own'} ` +
      `(max |Δ| ${tfjs.standInCheck.maxAbsDiff.toExponential(1)} vs the cpu backend, values up to ${tfjs.standInCheck.maxAbsValue.toFixed(1)}).`,
    `Medians of ${settings.runs} timed runs each, ours and TF.js taking turns: ${settings.steps} training steps per run after ${settings.warmup} warm-up step(s); ` +
      `${settings.runs * settings.inferPerRun} single-image predictions; ${settings.runs} mean filters. Native: \`cnn-playground bench\`, random pixels.`,
    '',
    rule,
    ...header.map(line),
    rule,
    ...rows.map(line),
    rule,
    'ratio = ours ÷ TF.js (training: the faster of ours): above 1 is better for images/s and GFLOP/s, below 1 for ms and KiB.',
    `Losses (first step → after the last run): ours ${ours.loss.first_step.toFixed(3)} → ${ours.loss.after_last_run.toFixed(3)}, ` +
      `${ours2.loss ? `ours on 2 workers ${ours2.loss.first_step.toFixed(3)} → ${ours2.loss.after_last_run.toFixed(3)}, ` : ''}` +
      `TF.js ${tfjs.loss.first_step.toFixed(3)} → ${tfjs.loss.after_last_run.toFixed(3)}. ` +
      `TF.js's mean filter differs from ours in ${tfjs.meanFilterBytesDifferingFromOurs} bytes.`,
  ].join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  for (const file of [BIN, path.join(ROOT, 'www/pkg/cnn_playground_bg.wasm')]) {
    if (!fs.existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run scripts/bench.sh, which builds it`);
  }
  const native = nativeBench(options);
  const browser = await browserBench(options);
  const tfjsWasm = path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', browser.tfjs.wasmFile ?? 'tfjs-backend-wasm.wasm');
  const results = {
    date: new Date().toISOString(),
    machine: machine(),
    ...browser,
    native,
    wasm_size: { ours: sizes(path.join(ROOT, 'www/pkg/cnn_playground_bg.wasm')), tfjs: sizes(tfjsWasm) },
  };
  results.ratio_ours_over_tfjs = Object.fromEntries(
    ['train_images_per_s', 'train_gflops', 'infer_batch1_ms', 'mean_filter_1133x1700_ms'].map((k) => [k, results.ours[k] / results.tfjs[k]]),
  );
  if (!results.ours_2_threads.not_run) {
    results.ratio_ours_over_tfjs.train_images_per_s_2_workers = results.ours_2_threads.train_images_per_s / results.tfjs.train_images_per_s;
    results.speedup_2_workers_over_1 = results.ours_2_threads.train_images_per_s / results.ours.train_images_per_s;
  }
  results.ratio_ours_over_tfjs.wasm_bytes = results.wasm_size.ours.bytes / results.wasm_size.tfjs.bytes;
  results.ratio_ours_over_tfjs.wasm_gzip_bytes = results.wasm_size.ours.gzip_bytes / results.wasm_size.tfjs.gzip_bytes;
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(table(results));
  progress(`\nall figures: ${path.relative(process.cwd(), options.out) || options.out}`);
}

main().catch((err) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
