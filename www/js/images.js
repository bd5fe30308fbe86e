// @ts-check
// Turning what a user gives us (a file, a generated picture) into ImageData the core can filter,
// with every way it can go wrong turned into a message.
import { canvas2d } from './canvas.js';

/** Photos larger than this on a side are scaled down to fit (the core and canvases cope). */
export const MAX_SIDE = 4096;
/** Above this many pixels we refuse to decode at all: the browser would need gigabytes. */
export const MAX_PIXELS = 100e6;

/**
 * Decodes an uploaded file. Resolves to { imageData, notice } or rejects with an Error whose
 * message is meant for the user.
 */
export async function imageDataFromFile(file) {
  if (file.size === 0) throw new Error(`"${file.name}" is empty.`);
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    // Loading reads the header (the size) without decoding every pixel yet.
    await new Promise((resolve, reject) => {
      img.onload = resolve;
      img.onerror = () => reject(new Error(`"${file.name}" is not an image this browser can read.`));
    });
    const { naturalWidth: w, naturalHeight: h } = img;
    if (w === 0 || h === 0) throw new Error(`"${file.name}" has no pixels.`);
    if (w * h > MAX_PIXELS) {
      throw new Error(`"${file.name}" is ${w}×${h} (${Math.round(w * h / 1e6)} megapixels); ` +
        `the filter lab takes photos up to ${MAX_PIXELS / 1e6} megapixels.`);
    }
    return drawScaled(img, w, h);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Draws a source onto a canvas no larger than MAX_SIDE a side and reads its pixels back. */
export function drawScaled(source, w, h) {
  const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
  const cw = Math.max(1, Math.round(w * scale));
  const ch = Math.max(1, Math.round(h * scale));
  const ctx = canvas2d(cw, ch);
  ctx.drawImage(source, 0, 0, cw, ch);
  const notice = scale < 1 ? `Scaled down from ${w}×${h} to ${cw}×${ch} (at most ${MAX_SIDE} px a side).` : '';
  return { imageData: ctx.getImageData(0, 0, cw, ch), notice };
}
