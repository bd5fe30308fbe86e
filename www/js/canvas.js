// @ts-check
// A canvas to draw an image on and read its pixels back, in the page or a worker, whatever the
// engine has.

/**
 * A 2D context on a new `width`×`height` canvas: an OffscreenCanvas's where the engine has them,
 * else one of the page's canvases (Safari before 16.4 has no OffscreenCanvas); a worker in such
 * an engine has neither, and says so.
 * @param {number} width
 * @param {number} height
 * @returns {OffscreenCanvasRenderingContext2D} (or the page canvas's, which has the same calls)
 */
export function canvas2d(width, height) {
  const options = { willReadFrequently: true };
  if (typeof OffscreenCanvas === 'function') {
    return /** @type {OffscreenCanvasRenderingContext2D} */ (new OffscreenCanvas(width, height).getContext('2d', options));
  }
  // Typed loosely: the workers' checks know no document.
  const page = /** @type {any} */ (globalThis).document;
  if (!page) {
    // With a kind, as the core's refusals: it ends a folder's read instead of skipping each image.
    throw Object.assign(new Error('this browser cannot draw images off the page (it has no OffscreenCanvas: Safari 16.4 and later, Firefox 105 and later and Chrome 69 and later have)'), { kind: 'unsupported' });
  }
  const canvas = page.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas.getContext('2d', options);
}
