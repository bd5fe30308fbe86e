// @ts-check
// A small line chart on a canvas: a few series, axes with round ticks on both sides, a legend.
// Redraws at most once a frame however often data arrives.

const COLORS = ['#2f6fdf', '#e0672b', '#2a9d57', '#9b4dca'];
const PAD = { l: 48, r: 14, t: 24, b: 34 };
const DOT = 3;

/**
 * Round ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `count` of them.
 * Returns {step, values, decimals}; the values start at or below lo and end at or above hi.
 */
export function niceTicks(lo, hi, count = 5) {
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = power * ([1, 2, 5].find((m) => m * power >= raw * (1 - 1e-9)) ?? 10);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values = [];
  for (let i = first; i <= last; i++) values.push(Number((i * step).toPrecision(12)));
  return { step, values, decimals: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
}

export class LineChart {
  /**
   * `series`: [{name, color?}]; `yRange`: [min, max] that the y axis never goes beyond (e.g.
   * accuracy 0–1); `format(value, decimals)`: a y tick's label.
   * @param {HTMLCanvasElement} canvas
   * @param {{series: {name: string, color?: string}[], yRange?: [number, number] | null, xLabel?: string,
   *   format?: (value: number, decimals: number) => string}} options
   */
  constructor(canvas, { series, yRange = null, xLabel = '', format = (v, d) => v.toFixed(d) }) {
    this.canvas = canvas;
    /** @type {{name: string, color: string, points: [number, number][]}[]} */
    this.series = series.map((s, i) => ({ color: COLORS[i % COLORS.length], ...s, points: [] }));
    this.yRange = yRange;
    this.xLabel = xLabel;
    this.format = format;
    this.queued = false;
    /** @type {{x: string[], y: string[]}} the tick labels drawn last */
    this.shownTicks = { x: [], y: [] };
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  add(seriesIndex, x, y) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.series[seriesIndex].points.push([x, y]);
    this.schedule();
  }

  /** Replaces a series' points. */
  set(seriesIndex, points) {
    this.series[seriesIndex].points = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
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

  /** The tick labels last drawn on each axis (tests read them). */
  ticks() {
    return this.shownTicks;
  }

  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => { this.queued = false; this.draw(); });
  }

  /** The y axis: round ticks around the data, kept inside `yRange`. */
  yAxis(ys) {
    let lo = Math.min(...ys);
    let hi = Math.max(...ys);
    if (hi - lo < 1e-9) {
      const m = Math.abs(hi) * 0.05 || 0.05;
      lo -= m;
      hi += m;
    }
    const ticks = niceTicks(lo, hi, 5);
    let values = ticks.values;
    const range = this.yRange;
    if (range) values = values.filter((v) => v >= range[0] - 1e-9 && v <= range[1] + 1e-9);
    if (values.length < 2) values = [Math.max(lo, this.yRange?.[0] ?? lo), Math.min(hi, this.yRange?.[1] ?? hi)];
    return { values, decimals: ticks.decimals, lo: Math.min(lo, values[0]), hi: Math.max(hi, values.at(-1)) };
  }

  draw() {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 300;
    const h = canvas.clientHeight || 160;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const all = this.series.flatMap((s) => s.points);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#5b6575';
    if (all.length === 0) {
      this.shownTicks = { x: [], y: [] };
      ctx.fillText('no data yet', PAD.l, h / 2);
      return;
    }
    const y = this.yAxis(all.map((p) => p[1]));
    // x from 0 (the start of training) to a round number past the last point.
    const xt = niceTicks(0, Math.max(...all.map((p) => p[0]), 1e-9), Math.max(2, Math.floor((w - PAD.l - PAD.r) / 60)));
    const x1 = xt.values.at(-1);
    // Inside the plot by a dot's radius, so a point on the edge is drawn whole.
    const px = (x) => PAD.l + DOT + (x / x1) * (w - PAD.l - PAD.r - 2 * DOT);
    const py = (v) => h - PAD.b - DOT - ((v - y.lo) / (y.hi - y.lo)) * (h - PAD.t - PAD.b - 2 * DOT);

    ctx.strokeStyle = '#d9dee6';
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    const yLabels = y.values.map((v) => this.format(v, y.decimals));
    y.values.forEach((v, i) => {
      ctx.beginPath(); ctx.moveTo(PAD.l, py(v)); ctx.lineTo(w - PAD.r, py(v)); ctx.stroke();
      ctx.fillText(yLabels[i], PAD.l - 6, py(v));
    });
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    const xLabels = xt.values.map((v) => String(Number(v.toFixed(xt.decimals)))); // 0, 0.2, … 1
    xt.values.forEach((v, i) => {
      ctx.beginPath(); ctx.moveTo(px(v), h - PAD.b); ctx.lineTo(px(v), h - PAD.b + 4); ctx.stroke();
      ctx.fillText(xLabels[i], px(v), h - PAD.b + 6);
    });
    ctx.textAlign = 'right';
    ctx.fillText(this.xLabel, w - PAD.r, h - 12);
    this.shownTicks = { x: xLabels, y: yLabels };

    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    let lx = PAD.l;
    for (const s of this.series) {
      if (s.points.length === 0) continue;
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      s.points.forEach(([x, v], i) => (i ? ctx.lineTo(px(x), py(v)) : ctx.moveTo(px(x), py(v))));
      ctx.stroke();
      if (s.points.length < 30) s.points.forEach(([x, v]) => { ctx.beginPath(); ctx.arc(px(x), py(v), DOT, 0, 7); ctx.fill(); });
      ctx.fillRect(lx, 7, 10, 10);
      ctx.fillStyle = '#1d2430';
      ctx.fillText(s.name, lx + 14, 16);
      lx += ctx.measureText(s.name).width + 30;
    }
  }
}
