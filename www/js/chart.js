// A small line chart on a canvas: a few series, axes with round ticks, a legend. Redraws at most
// once a frame however often data arrives.

const COLORS = ['#2f6fdf', '#e0672b', '#2a9d57', '#9b4dca'];

export class LineChart {
  /** `series`: [{name, color?}]; `yRange`: [min, max] to fix the axis (e.g. accuracy 0–1). */
  constructor(canvas, { series, yRange = null, xLabel = '', format = (v) => v.toFixed(2) }) {
    this.canvas = canvas;
    this.series = series.map((s, i) => ({ color: COLORS[i % COLORS.length], ...s, points: [] }));
    this.yRange = yRange;
    this.xLabel = xLabel;
    this.format = format;
    this.queued = false;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  add(seriesIndex, x, y) {
    if (!Number.isFinite(y)) return;
    this.series[seriesIndex].points.push([x, y]);
    this.schedule();
  }

  clear() {
    this.series.forEach((s) => { s.points = []; });
    this.schedule();
  }

  /** How many points a series holds (tests read it to see the chart move). */
  count(seriesIndex) {
    return this.series[seriesIndex].points.length;
  }

  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => { this.queued = false; this.draw(); });
  }

  draw() {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 300;
    const h = canvas.clientHeight || 160;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const pad = { l: 44, r: 10, t: 22, b: 26 };
    const all = this.series.flatMap((s) => s.points);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#5b6575';
    if (all.length === 0) {
      ctx.fillText('no data yet', pad.l, h / 2);
      return;
    }
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    let [y0, y1] = this.yRange ?? [Math.min(...ys), Math.max(...ys)];
    if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs, x0 + 1e-9);
    const px = (x) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
    const py = (y) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b);
    ctx.strokeStyle = '#d9dee6';
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = y0 + ((y1 - y0) * i) / 4;
      ctx.beginPath(); ctx.moveTo(pad.l, py(y)); ctx.lineTo(w - pad.r, py(y)); ctx.stroke();
      ctx.fillText(this.format(y), 2, py(y) + 4);
    }
    // Whole-number ticks along x (epochs), at most about eight of them.
    const nameLeft = w - pad.r - ctx.measureText(this.xLabel).width;
    ctx.fillText(this.xLabel, nameLeft, h - 8);
    // Round ticks along x: steps of 1, 2 or 5 times a power of ten, about six of them.
    const raw = (x1 - x0) / 6;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = power * ([1, 2, 5].find((m) => m * power >= raw) ?? 10);
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    for (let i = Math.ceil(x0 / step); i * step <= x1; i++) {
      const x = i * step;
      const label = x.toFixed(decimals);
      const left = px(x) - ctx.measureText(label).width / 2;
      if (left + ctx.measureText(label).width < nameLeft - 6) ctx.fillText(label, left, h - 8);
    }
    let lx = pad.l;
    for (const s of this.series) {
      if (s.points.length === 0) continue;
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      s.points.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
      ctx.stroke();
      if (s.points.length < 30) s.points.forEach(([x, y]) => { ctx.beginPath(); ctx.arc(px(x), py(y), 3, 0, 7); ctx.fill(); });
      ctx.fillRect(lx, 6, 10, 10);
      ctx.fillStyle = '#1d2430';
      ctx.fillText(s.name, lx + 14, 15);
      lx += ctx.measureText(s.name).width + 30;
    }
  }
}
