// @ts-check
// Datasets as the training worker reads them into the core's DatasetReader (src/wasm/dataset.rs):
// a built-in one from the site (its files fetched and kept like MNIST's), the user's own files
// (an IDX set, CIFAR's tar.gz streamed, a folder or a zip of class folders whose images the
// browser decodes), or one kept in this browser. Nothing here parses a format: the core does.
import { dataUrl } from './protocol.js';
import { openData } from './data-files.js';
import { canvas2d } from './canvas.js';
import { isTrap } from './core.js';

/** Photos are scaled by the browser to at most this many pixels a side before the core fits
 * them to the dataset's size (area averaging, src/image/resize.rs): a 12-megapixel photo would
 * otherwise cross into wasm as 48 MB. */
const DECODE_SIDE = 512;

/**
 * A built-in dataset read whole (one whose test split the core draws, so all of it is needed
 * first): its files fetched, from this browser's cache after the first visit. `progress(done,
 * total)` hears the bytes. Resolves to {reader (finished), source ('cache' or 'network'), bytes}.
 * @returns {Promise<{reader: any, source: 'cache' | 'network', bytes: number}>}
 */
export async function readBuiltin(core, builtin, progress) {
  const reader = core.DatasetReader.builtin(builtin.key);
  const opened = await Promise.all(builtin.files.map((f) => openData(core, dataUrl(builtin.key, f))));
  const total = opened.reduce((n, o) => n + o.bytesTotal, 0);
  const ticker = setInterval(() => progress(opened.reduce((n, o) => n + o.bytesRead(), 0), total), 250);
  try {
    const bytes = await Promise.all(opened.map(async (o) => new Uint8Array(await new Response(o.stream).arrayBuffer())));
    bytes.forEach((b, i) => reader.add_file(builtin.files[i], b));
    await Promise.all(opened.map((o) => o.keep()));
  } finally {
    clearInterval(ticker);
  }
  reader.finish();
  const source = opened.every((o) => o.source === 'cache') ? 'cache' : 'network';
  return { reader, source, bytes: opened.reduce((n, o) => n + o.bytesRead(), 0) };
}

/**
 * The user's files as a dataset reader, finished: `files` [{file, path}] as the page got them
 * (a folder's with their paths), `size` [width, height] or [0, 0] for the images' own,
 * `progress(stage, done, total)` told as it goes.
 */
export async function readFiles(core, files, size, progress) {
  const names = files.map((f) => f.path || f.file.name);
  const kind = core.dataset_kind(names);
  const first = files[0].file;
  let reader;
  if (kind === 'cifar') {
    reader = core.DatasetReader.cifar(first.name);
    const stream = first.stream().getReader();
    let done = 0;
    for (;;) {
      const { done: end, value } = await stream.read();
      if (end) break;
      reader.push(value);
      done += value.length;
      progress('reading', done, first.size);
    }
  } else if (kind === 'stored') {
    reader = core.DatasetReader.stored(new Uint8Array(await first.arrayBuffer()));
  } else if (kind === 'idx') {
    reader = core.DatasetReader.idx(commonFolder(names) || 'IDX set');
    for (const [i, { file }] of files.entries()) {
      reader.add_file(names[i], new Uint8Array(await file.arrayBuffer()));
      progress('reading', i + 1, files.length);
    }
  } else if (kind === 'zip') {
    reader = core.DatasetReader.zip(first.name, new Uint8Array(await first.arrayBuffer()), size[0], size[1]);
    await decodeAll(reader, (i) => new Blob([reader.image_file(i)]), progress);
  } else {
    reader = core.DatasetReader.folder(commonFolder(names) || 'My images', names, size[0], size[1]);
    await decodeAll(reader, (i, path) => files[path].file, progress);
  }
  progress('checking', 0, 0);
  const about = reader.finish();
  return { reader, about };
}

/** The top folder all `paths` share, or ''. */
function commonFolder(paths) {
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.split('/')[0] : '')));
  return tops.size === 1 ? [...tops][0] : '';
}

/** Decodes each image the reader planned, a few at a time, and hands its pixels to the core. */
async function decodeAll(reader, blobOf, progress) {
  const planned = reader.images();
  let done = 0;
  const one = async (i) => {
    const path = planned[i];
    try {
      const { rgba, width, height } = await decode(blobOf(i, path));
      reader.add_image(i, rgba, width, height);
    } catch (err) {
      if (isTrap(err)) throw err;
      // The core's own refusals (a size past its limits) end the read; a file the browser
      // cannot decode is left out and counted.
      if (err.kind) throw err;
      reader.skip_image(i, 'not an image the browser can decode');
    }
    progress('decoding', ++done, planned.length);
  };
  // In order, so the same folder gives the same dataset; decoding itself runs off this thread.
  for (let i = 0; i < planned.length; i++) await one(i);
}

/** An image file's RGBA pixels, scaled down by the browser to at most DECODE_SIDE a side (the
 * worker's for a folder, the Draw panel's for a photo). */
export async function decode(blob) {
  const bitmap = await createImageBitmap(blob);
  const scale = Math.min(1, DECODE_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const ctx = canvas2d(width, height);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const rgba = new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer);
  return { rgba, width, height };
}
