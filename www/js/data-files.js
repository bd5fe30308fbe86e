// @ts-check
// MNIST as the page downloads it: gzip-compressed IDX files (11 MB instead of 55), decompressed as
// they stream in, and kept in this browser's Cache Storage once they have arrived whole and read
// true, so that the next visit trains without touching the network.

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
 * A data file, from the cache when a whole copy was kept there, else from the network. Returns
 * `stream` (the decompressed bytes), `source` ('cache' or 'network'), `bytesTotal` and
 * `bytesRead()` (as transferred), and `keep()`, which stores a file from the network once the
 * caller has read it whole and found it sound (a file cut short is never kept).
 * @param {string} url
 * @returns {Promise<{stream: ReadableStream<Uint8Array>, source: 'cache' | 'network', bytesTotal: number,
 *   bytesRead: () => number, keep: () => Promise<void>}>}
 */
export async function openData(url) {
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
    stream: encoding.includes('gzip') ? counted : counted.pipeThrough(new DecompressionStream('gzip')),
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
