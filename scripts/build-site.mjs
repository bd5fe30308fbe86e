#!/usr/bin/env node
// @ts-check
// Writes the whole site into one static folder (default dist/): the page from www/ with its wasm
// builds and the compressed MNIST (scripts/build-site.sh builds those first), the app icons, the
// large assets under content-hashed names (so any host may cache them for ever), and the service
// worker's list of this build's files under the build's hash. Usage: node scripts/build-site.mjs [DIR]
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = path.join(ROOT, 'www');
const OUT = path.resolve(ROOT, process.argv[2] ?? 'dist');

/** Assets renamed `name.<hash>.ext`, each with the one file that names it. */
const HASHED = [
  ['pkg-relaxed/cnn_playground_bg.wasm', 'pkg-relaxed/cnn_playground.js'],
  ['pkg/cnn_playground_bg.wasm', 'pkg/cnn_playground.js'],
  ['pkg-portable/cnn_playground_bg.wasm', 'pkg-portable/cnn_playground.js'],
  ['pkg-gpu/cnn_playground_bg.wasm', 'pkg-gpu/cnn_playground.js'],
];
/** Kept when first asked for, not when the service worker installs: the portable build is for
 * browsers without wasm SIMD, the GPU build for those who train on the GPU. */
const ON_DEMAND = (file) => file.startsWith('pkg-portable/') || file.startsWith('pkg-gpu/');
/** Never kept by the service worker: MNIST, which the training worker keeps once it has read it
 * whole (a download cut short must not be kept). */
const DATA = (file) => file.startsWith('data/');
/** The line of protocol.js that maps each built-in dataset's file to its hashed name. */
const DATA_FILES = /^const DATA_FILES = .*$/m;

const hash = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 12);

for (const [asset] of HASHED) {
  if (!fs.existsSync(path.join(SOURCE, asset))) {
    console.error(`build-site: ${asset} is missing from www/; run scripts/build-site.sh, which builds it first`);
    process.exit(1);
  }
}
fs.rmSync(OUT, { recursive: true, force: true });
// Dotfiles stay behind (wasm-pack writes a .gitignore into each pkg folder): no host should serve
// them, and the service worker would ask for each.
fs.cpSync(SOURCE, OUT, { recursive: true, dereference: true, filter: (from) => !path.basename(from).startsWith('.') });

for (const [asset, referrer] of HASHED) {
  const from = path.join(OUT, asset);
  const name = path.basename(asset);
  const ext = name.endsWith('.gz') ? '.gz' : path.extname(name);
  const hashed = `${name.slice(0, -ext.length)}.${hash(fs.readFileSync(from))}${ext}`;
  fs.renameSync(from, path.join(path.dirname(from), hashed));
  const file = path.join(OUT, referrer);
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(`${name}'`)) throw new Error(`${referrer} does not name ${name}`);
  fs.writeFileSync(file, text.replaceAll(`${name}'`, `${hashed}'`));
}

// The built-in datasets' files (data/<key>/<file>), hashed too; protocol.js learns their names.
const renamed = {};
for (const file of walk(path.join(OUT, 'data')).filter((f) => f.endsWith('.gz'))) {
  const from = path.join(OUT, 'data', file);
  const hashed = `${file.slice(0, -3)}.${hash(fs.readFileSync(from))}.gz`;
  fs.renameSync(from, path.join(OUT, 'data', hashed));
  renamed[file] = hashed;
}
const protocol = path.join(OUT, 'js/protocol.js');
const protocolSource = fs.readFileSync(protocol, 'utf8');
if (!DATA_FILES.test(protocolSource)) throw new Error('protocol.js has no DATA_FILES line to fill in');
fs.writeFileSync(protocol, protocolSource.replace(DATA_FILES, `const DATA_FILES = ${JSON.stringify(renamed)};`));

// The icons the manifest names, drawn from favicon.svg's design.
fs.mkdirSync(path.join(OUT, 'icons'), { recursive: true });
for (const size of [192, 512]) fs.writeFileSync(path.join(OUT, `icons/icon-${size}.png`), icon(size));

const all = walk(OUT).filter((f) => f !== 'sw.js').sort();
// The build's hash: every file's, the service worker's own source among them.
const version = hash([...all, 'sw.js'].map((f) => `${f}\0${hash(fs.readFileSync(path.join(OUT, f)))}\n`).join(''));
const files = all.filter((f) => !DATA(f));
const install = ['./', ...files.filter((f) => !ON_DEMAND(f))];
const sw = path.join(OUT, 'sw.js');
const line = /^const BUILD = .*$/m;
const source = fs.readFileSync(sw, 'utf8');
if (!line.test(source)) throw new Error('sw.js has no BUILD line to fill in');
fs.writeFileSync(sw, source.replace(line, `const BUILD = ${JSON.stringify({ version, install, files })};`));

const bytes = all.reduce((n, f) => n + fs.statSync(path.join(OUT, f)).size, 0);
console.log(`${path.relative(ROOT, OUT) || '.'}/: the whole site, build ${version}, ${all.length} files, ${(bytes / 1e6).toFixed(1)} MB.`
  + ' Publish it by copying the folder to any static host (GitHub Pages, an S3 bucket, python3 -m http.server).');

/** Every file below `dir`, as a relative path with forward slashes. */
function walk(dir, prefix = '') {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory()
    ? walk(path.join(dir, e.name), `${prefix}${e.name}/`)
    : [`${prefix}${e.name}`]);
}

/** The favicon's four squares on a rounded blue tile, as a `size`×`size` PNG. */
function icon(size) {
  const s = size / 16;
  const squares = [[3, 3, 1], [9, 3, 0.7], [3, 9, 0.7], [9, 9, 0.4]];
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + 4 * size); // filter byte 0, then RGBA
    for (let x = 0; x < size; x++) {
      const [u, v] = [(x + 0.5) / s, (y + 0.5) / s];
      // Inside the tile with corners of radius 3?
      const [cu, cv] = [Math.min(Math.max(u, 3), 13), Math.min(Math.max(v, 3), 13)];
      if ((u - cu) ** 2 + (v - cv) ** 2 > 9) continue;
      const white = squares.find(([a, b]) => u >= a && u < a + 4 && v >= b && v < b + 4)?.[2] ?? 0;
      const mix = (c) => Math.round(c + (255 - c) * white);
      row.set([mix(0x2f), mix(0x6f), mix(0xdf), 255], 1 + 4 * x);
    }
    rows.push(row);
  }
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(bytes) {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}
