// @ts-check
// The built-in sample photo: a micrograph-like field of cells, drawn from a fixed seed so it is
// the same on every machine and needs no download (the tutorial filtered a photo of cells).
import { canvas2d } from './canvas.js';

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ImageData of the sample, `width`×`height`. */
export function samplePhoto(width = 640, height = 426) {
  const random = mulberry32(1133);
  const ctx = canvas2d(width, height);
  const bg = ctx.createLinearGradient(0, 0, width, height);
  bg.addColorStop(0, '#f3dfe8');
  bg.addColorStop(1, '#e6cfe0');
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, width, height);
  for (let i = 0; i < 70; i++) {
    const x = random() * width;
    const y = random() * height;
    const r = 10 + random() * 26;
    const cell = ctx.createRadialGradient(x - r / 3, y - r / 3, r / 6, x, y, r);
    cell.addColorStop(0, `hsl(${300 + random() * 40}, 45%, 82%)`);
    cell.addColorStop(0.85, `hsl(${290 + random() * 40}, 40%, 62%)`);
    cell.addColorStop(1, 'hsl(290, 35%, 45%)');
    ctx.fillStyle = cell;
    ctx.beginPath();
    ctx.ellipse(x, y, r, r * (0.7 + random() * 0.3), random() * Math.PI, 0, 2 * Math.PI);
    ctx.fill();
    // The nucleus.
    ctx.fillStyle = `hsl(${250 + random() * 30}, 50%, ${25 + random() * 15}%)`;
    ctx.beginPath();
    ctx.arc(x + (random() - 0.5) * r * 0.4, y + (random() - 0.5) * r * 0.4, r * (0.25 + random() * 0.15), 0, 2 * Math.PI);
    ctx.fill();
  }
  // Grain, as a microscope camera has.
  const image = ctx.getImageData(0, 0, width, height);
  const d = image.data;
  for (let i = 0; i < d.length; i += 4) {
    const n = (random() - 0.5) * 24;
    d[i] = Math.max(0, Math.min(255, d[i] + n));
    d[i + 1] = Math.max(0, Math.min(255, d[i + 1] + n));
    d[i + 2] = Math.max(0, Math.min(255, d[i + 2] + n));
  }
  return image;
}
