// @ts-check
// A square drawing surface, white ink on black like MNIST. Pointer Events, so a mouse, a pen and
// a finger all draw; the pointer is captured so a stroke that leaves the canvas still ends. The
// backing store follows devicePixelRatio so strokes stay sharp on phones.

export class Sketchpad {
  /**
   * `size`: the drawing's logical side in CSS pixels (the canvas may be shown smaller);
   * `brush`: the stroke width in those pixels; `onChange(kind)`: 'stroke' or 'end'.
   * @param {HTMLCanvasElement} canvas
   * @param {{size?: number, brush?: number, onChange?: (kind: 'stroke' | 'end') => void}} [options]
   */
  constructor(canvas, { size = 280, brush = 22, onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.size = size;
    this.brush = brush;
    this.onChange = onChange;
    /** @type {number | null} the pointer drawing the stroke */
    this.pointer = null;
    /** @type {[number, number]} where the stroke is, from its first point on */
    this.last = /** @type {any} */ (null);
    this.lastPointerType = '';
    const dpr = Math.min(3, Math.max(1, window.devicePixelRatio || 1));
    canvas.width = canvas.height = Math.round(size * dpr);
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
    this.ctx.setTransform(canvas.width / size, 0, 0, canvas.width / size, 0, 0);
    this.clear();

    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) {
      canvas.addEventListener(type, (e) => this.up(e));
    }
  }

  clear() {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.size, this.size);
    this.empty = true;
  }

  /** Shows a side×side 8-bit gray image (MNIST's test digits) scaled up, each pixel a crisp square. */
  showImage(pixels, side) {
    const small = document.createElement('canvas');
    small.width = small.height = side;
    const img = new ImageData(side, side);
    for (let i = 0; i < side * side; i++) img.data.set([pixels[i], pixels[i], pixels[i], 255], 4 * i);
    /** @type {CanvasRenderingContext2D} */ (small.getContext('2d')).putImageData(img, 0, 0);
    this.ctx.imageSmoothingEnabled = false;
    this.ctx.drawImage(small, 0, 0, this.size, this.size);
    this.ctx.imageSmoothingEnabled = true;
    this.empty = false;
  }

  /** The drawing as gray levels in [0, 1] at the backing store's resolution: {gray, width, height}. */
  gray() {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const gray = new Float32Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i] / 255;
    return { gray, width, height };
  }

  /**
   * A pointer's position in the drawing's logical pixels, whatever size the canvas is shown at.
   * @returns {[number, number]}
   */
  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * this.size) / r.width, ((e.clientY - r.top) * this.size) / r.height];
  }

  down(e) {
    // One stroke at a time, and only the primary mouse button draws.
    if (this.pointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.pointer = e.pointerId;
    this.lastPointerType = e.pointerType;
    this.last = this.point(e);
    this.segment(this.last, this.last);
    this.onChange('stroke');
  }

  move(e) {
    if (e.pointerId !== this.pointer) return;
    // Coalesced events keep fast strokes smooth where the browser batches moves per frame.
    const events = e.getCoalescedEvents?.() ?? [];
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev);
      this.segment(this.last, p);
      this.last = p;
    }
    this.onChange('stroke');
  }

  up(e) {
    if (e.pointerId !== this.pointer) return;
    this.pointer = null;
    this.onChange('end');
  }

  segment([x0, y0], [x1, y1]) {
    const ctx = this.ctx;
    this.empty = false;
    if (x0 === x1 && y0 === y1) {
      // Canvas prunes zero-length lines: a tap draws its dot by hand.
      ctx.fillStyle = '#fff';
      ctx.beginPath();
      ctx.arc(x0, y0, this.brush / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.brush;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
  }
}
