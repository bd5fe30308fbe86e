// @ts-check
// MNIST as the page downloads it: gzip-compressed IDX files (11 MB instead of 55), inflated by the
// core as they stream in (the same in every browser: Safari before 16.4 has no
// DecompressionStream), and kept in this browser's Cache Storage once they have arrived whole and read
// true, so that the next visit trains without touching the network; and a split streamed into
// the training worker's session as it arrives.
import { dataUrl } from './protocol.js';

const CACHE = 'cnn-playground-data';

/** The data cache, or null where the browser has none (an insecure origin, storage blocked). */
async function openCache() {
  try {
    return self.caches ? await caches.open(CACHE) : null;
  } catch {
    return null;
  }
}

/**
 * A stream that inflates a gzip file `what` by the core's inflater (src/wasm/inflate.rs).
 * @param {any} core
 * @param {string} what
 * @returns {TransformStream<Uint8Array, Uint8Array>}
 */
function gunzip(core, what) {
  const inflater = new core.Gunzip(what);
  /** Runs a step of the inflater; it is freed when the file ends or is refused. */
  const step = (out, run) => {
    try {
      const bytes = run();
      if (bytes.length > 0) out.enqueue(bytes);
    } catch (err) {
      inflater.free();
      throw err;
    }
  };
  return new TransformStream({
    transform: (chunk, out) => step(out, () => inflater.push(chunk)),
    flush: (out) => step(out, () => {
      const last = inflater.finish();
      inflater.free();
      return last;
    }),
  });
}

/**
 * A data file, from the cache when a whole copy was kept there, else from the network. Returns
 * `stream` (the decompressed bytes), `source` ('cache' or 'network'), `bytesTotal` and
 * `bytesRead()` (as transferred), and `keep()`, which stores a file from the network once the
 * caller has read it whole and found it sound (a file cut short is never kept).
 * @param {any} core
 * @param {string} url
 * @returns {Promise<{stream: ReadableStream<Uint8Array>, source: 'cache' | 'network', bytesTotal: number,
 *   bytesRead: () => number, keep: () => Promise<void>}>}
 */
export async function openData(core, url) {
  const cache = await openCache();
  const cached = await cache?.match(url).catch(() => undefined);
  const res = cached ?? await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url} (HTTP ${res.status})`);
  const source = cached ? 'cache' : 'network';
  // A server that sends the file with Content-Encoding: gzip has had the browser decompress it.
  const encoding = res.headers.get('content-encoding') ?? '';
  const chunks = [];
  let read = 0;
  const counted = /** @type {ReadableStream<Uint8Array>} */ (res.body).pipeThrough(new TransformStream({
    transform(chunk, out) {
      if (!cached) chunks.push(chunk);
      read += chunk.length;
      out.enqueue(chunk);
    },
  }));
  return {
    stream: encoding.includes('gzip') ? counted : counted.pipeThrough(gunzip(core, url)),
    source,
    bytesTotal: Number(res.headers.get('content-length')) || 0,
    bytesRead: () => read,
    async keep() {
      if (cached || !cache) return;
      const headers = { 'content-length': String(read), 'content-encoding': encoding };
      await cache.put(url, new Response(new Blob(chunks), { headers })).catch(() => {});
    },
  };
}

/**
 * Streams one split of a built-in dataset with its own test set (MNIST: its files are training
 * images and labels, then test images and labels) into `session`: training can start before it
 * has all arrived. After a failed attempt the download starts over, and the images the session
 * already has are skipped. Resolves once the split is complete and its files are kept, or at
 * once when `current()` stops holding (another dataset was chosen); `progress` hears how far it
 * has come after each chunk.
 * @param {{core: any, session: any, dataset: {key: string, files: string[], shape: number[]},
 *   split: 'train' | 'test', current: () => boolean,
 *   progress: (p: {loaded: number, total: number, bytes: number, bytesTotal: number,
 *     source: 'cache' | 'network'}) => void}} options
 */
export async function streamSplit({ core, session, dataset, split, current, progress }) {
  const [imageFile, labelName] = split === 'train' ? dataset.files.slice(0, 2) : dataset.files.slice(2, 4);
  const urls = { images: dataUrl(dataset.key, imageFile), labels: dataUrl(dataset.key, labelName) };
  const [channels, rows, cols] = dataset.shape;
  const IMAGE = channels * rows * cols;
  const labelFile = await openData(core, urls.labels);
  const labelBytes = new Uint8Array(await new Response(labelFile.stream).arrayBuffer());
  const [n] = core.idx_dims(labelBytes.subarray(0, 8));
  session.expect_examples(split, n);
  const labels = labelBytes.subarray(8);
  if (labels.length !== n) throw new Error(`${urls.labels}: ${labels.length} labels, the header says ${n}`);
  const images = await openData(core, urls.images);
  const reader = images.stream.getReader();
  let pending = new Uint8Array(0);
  let header = false;
  let seen = 0; // whole images read in this attempt
  let have = session.examples(split);
  const ended = () => new Error(`the download ended after ${have.toLocaleString('en')} of ${n.toLocaleString('en')} images`);
  for (;;) {
    // A connection that breaks off ends the stream early, or cuts the compressed data short.
    const { done, value } = await reader.read().catch(() => { throw ended(); });
    if (done) break;
    if (!current()) return reader.cancel();
    const joined = new Uint8Array(pending.length + value.length);
    joined.set(pending);
    joined.set(value, pending.length);
    pending = joined;
    if (!header && pending.length >= 16) {
      const dims = core.idx_dims(pending.subarray(0, 16));
      if (dims[0] !== n || dims[1] !== rows || dims[2] !== cols) {
        throw new Error(`${urls.images}: images of shape ${dims.join('×')} do not match ${n} labels of ${rows}×${cols}`);
      }
      pending = pending.slice(16);
      header = true;
    }
    const whole = header ? Math.floor(pending.length / IMAGE) : 0;
    if (whole > 0) {
      seen += whole;
      const fresh = Math.min(whole, seen - have); // those the session lacks
      if (fresh > 0) {
        have = session.add_examples(split, pending.subarray((whole - fresh) * IMAGE, whole * IMAGE), labels.subarray(have, have + fresh));
      }
      pending = pending.slice(whole * IMAGE);
    }
    const bytes = images.bytesRead();
    progress({ loaded: have, total: n, bytes, bytesTotal: Math.max(images.bytesTotal, bytes), source: images.source });
  }
  if (have !== n || pending.length > 0) throw ended();
  session.set_complete(split);
  await Promise.all([labelFile.keep(), images.keep()]);
}
