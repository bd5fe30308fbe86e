// @ts-check
// The filter lab as a user meets it: the sample photo filtered on load, another filter chosen, a
// PNG uploaded, and bad uploads that must leave the page working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import { serverAndBrowser, openPage, canvasPixels, ROOT } from './harness.mjs';

const env = serverAndBrowser();

/** The tutorial's mean filter written independently of the core: per channel, 3×3 sum with zero
 * padding, divided by 9, truncated. Alpha kept. */
function meanFilter({ width, height, data }) {
  const out = data.slice();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < height && xx >= 0 && xx < width) sum += data[(yy * width + xx) * 4 + c];
          }
        }
        out[(y * width + x) * 4 + c] = Math.trunc(Math.fround(sum) / 9);
      }
    }
  }
  return out;
}

function assertMeanFiltered(original, result, label) {
  assert.equal(result.width, original.width, `${label}: width`);
  assert.equal(result.height, original.height, `${label}: height`);
  const want = meanFilter(original);
  let off = 0;
  for (let i = 0; i < want.length; i++) if (want[i] !== result.data[i]) off++;
  assert.equal(off, 0, `${label}: ${off} of ${want.length} bytes differ from the mean filter`);
}

/** A PNG file, from raw RGB rows, with node's zlib: no image library needed. */
function png(width, height, rgbRow) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  // Rows are streamed through deflate so a 20000×20000 image never exists uncompressed.
  const deflate = zlib.createDeflate({ level: 1 });
  const parts = [];
  deflate.on('data', (d) => parts.push(d));
  for (let y = 0; y < height; y++) {
    deflate.write(Buffer.concat([Buffer.from([0]), rgbRow(y)]));
  }
  return new Promise((resolve) => {
    deflate.end(() => resolve(Buffer.concat([
      Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
      chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0)),
    ])));
  });
}

test('the sample photo is mean-filtered on load, exactly as the tutorial does it', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  await page.waitForSelector('[data-testid="filter-select"] option', { state: 'attached' });
  assert.equal(await page.inputValue('[data-testid="filter-select"]'), 'mean');
  const original = await canvasPixels(page, 'filter-original');
  const result = await canvasPixels(page, 'filter-result');
  assert.ok(original.width > 100 && original.height > 100, 'the sample is a real photo-sized image');
  assertMeanFiltered(original, result, 'sample');
  // The result is not the original: the filter did something.
  assert.notDeepEqual(result.data.slice(0, 4000), original.data.slice(0, 4000));
  await page.screenshot({ path: path.join(ROOT, 'docs/screenshot.png') });

  // Another filter from the menu changes the result.
  await page.selectOption('[data-testid="filter-select"]', 'sobel-x');
  await page.waitForFunction(() => document.getElementById('filters').dataset.filtered.startsWith('sobel-x'));
  const edges = await canvasPixels(page, 'filter-result');
  assert.notDeepEqual(edges.data, result.data);
  assert.deepEqual(problems, []);
  await context.close();
});

test('an uploaded PNG is filtered, pixel for pixel', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const w = 61, h = 47;
  const file = await png(w, h, (y) => Buffer.from(Array.from({ length: w * 3 }, (_, i) => (i * 7 + y * 13) % 256)));
  await page.setInputFiles('[data-testid="filter-upload"]', { name: 'stripes.png', mimeType: 'image/png', buffer: file });
  await page.waitForFunction((s) => document.getElementById('filters').dataset.filtered === s, `mean:${w}x${h}`);
  const original = await canvasPixels(page, 'filter-original');
  // The upload reached the canvas unchanged.
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        assert.equal(original.data[(y * w + x) * 4 + c], ((x * 3 + c) * 7 + y * 13) % 256);
      }
    }
  }
  assertMeanFiltered(original, await canvasPixels(page, 'filter-result'), 'upload');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a photo wider than 4096 px is scaled down with a notice and filtered', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const file = await png(5000, 300, (y) => Buffer.alloc(15000, y % 256));
  await page.setInputFiles('[data-testid="filter-upload"]', { name: 'wide.png', mimeType: 'image/png', buffer: file });
  await page.waitForFunction(() => document.getElementById('filters').dataset.filtered === 'mean:4096x246');
  assert.match(await page.textContent('[data-testid="filter-status"]'), /Scaled down from 5000×300 to 4096×246/);
  assertMeanFiltered(await canvasPixels(page, 'filter-original'), await canvasPixels(page, 'filter-result'), 'scaled');
  assert.deepEqual(problems, []);
  await context.close();
});

test('bad uploads give a clear message and the page keeps working', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const status = page.locator('[data-testid="filter-status"]');
  /** @type {[{name: string, mimeType: string, buffer: Buffer}, RegExp][]} */
  const cases = [
    [{ name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) }, /is empty/],
    [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all') }, /not an image/],
    [{ name: 'huge.png', mimeType: 'image/png', buffer: await png(20000, 20000, () => Buffer.alloc(60000)) }, /20000×20000.*megapixels/],
  ];
  for (const [file, message] of cases) {
    await page.setInputFiles('[data-testid="filter-upload"]', file);
    await page.waitForFunction(() => document.querySelector('[data-testid="filter-status"]').classList.contains('error'));
    assert.match(await status.textContent(), message, file.name);
    // Still works: the sample filters again.
    await page.click('[data-testid="filter-sample"]');
    await page.waitForFunction(() => !document.querySelector('[data-testid="filter-status"]').classList.contains('error'));
    assertMeanFiltered(await canvasPixels(page, 'filter-original'), await canvasPixels(page, 'filter-result'), `after ${file.name}`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('edge magnitude and a custom kernel, checked pixel for pixel', async () => {
  const { page, context, problems } = await openPage(env.browser, env.server.url);
  const original = await canvasPixels(page, 'filter-original');
  const { width: w, height: h, data } = original;
  const at = (x, y, c) => (x >= 0 && x < w && y >= 0 && y < h ? data[(y * w + x) * 4 + c] : 0);

  await page.selectOption('[data-testid="filter-select"]', 'edges');
  await page.waitForFunction(() => document.getElementById('filters').dataset.filtered.startsWith('edges'));
  const edges = await canvasPixels(page, 'filter-result');
  let off = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const gx = at(x + 1, y - 1, c) + 2 * at(x + 1, y, c) + at(x + 1, y + 1, c) - at(x - 1, y - 1, c) - 2 * at(x - 1, y, c) - at(x - 1, y + 1, c);
        const gy = at(x - 1, y + 1, c) + 2 * at(x, y + 1, c) + at(x + 1, y + 1, c) - at(x - 1, y - 1, c) - 2 * at(x, y - 1, c) - at(x + 1, y - 1, c);
        if (edges.data[(y * w + x) * 4 + c] !== Math.min(255, Math.trunc(Math.sqrt(gx * gx + gy * gy)))) off++;
      }
    }
  }
  assert.equal(off, 0, `${off} bytes differ from √(Sobel x² + Sobel y²)`);

  // A custom kernel that takes each pixel's right-hand neighbour moves the image one pixel left.
  await page.selectOption('[data-testid="filter-select"]', 'custom');
  await page.waitForSelector('[data-testid="custom-kernel"]:not([hidden])');
  await page.fill('[data-testid="custom-1-1"]', '0');
  await page.fill('[data-testid="custom-1-2"]', '1');
  await page.dispatchEvent('[data-testid="custom-1-2"]', 'change');
  await page.waitForFunction(() => document.getElementById('filters').dataset.filtered.startsWith('custom'));
  await page.waitForTimeout(300);
  const shifted = await canvasPixels(page, 'filter-result');
  for (const [x, y] of [[0, 0], [10, 20], [w - 2, h - 1], [w - 1, 5]]) {
    for (let c = 0; c < 3; c++) assert.equal(shifted.data[(y * w + x) * 4 + c], at(x + 1, y, c), `(${x},${y}) channel ${c}`);
  }
  // A blank weight is refused with a message, and fixing it recovers.
  await page.fill('[data-testid="custom-0-0"]', '');
  await page.dispatchEvent('[data-testid="custom-0-0"]', 'change');
  await page.waitForFunction(() => document.querySelector('[data-testid="filter-status"]').classList.contains('error'));
  assert.match(await page.textContent('[data-testid="filter-status"]'), /finite numbers/);
  await page.fill('[data-testid="custom-0-0"]', '0');
  await page.dispatchEvent('[data-testid="custom-0-0"]', 'change');
  await page.waitForFunction(() => !document.querySelector('[data-testid="filter-status"]').classList.contains('error'));
  // 5×5 keeps the weights centred.
  await page.selectOption('[data-testid="custom-size"]', '5');
  assert.equal(await page.inputValue('[data-testid="custom-2-3"]'), '1');
  assert.deepEqual(problems, []);
  await context.close();
});
