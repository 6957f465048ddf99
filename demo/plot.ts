// Small canvas plots for the demo: a line chart for the loss, a 2-D scatter view with Gaussian
// ellipses, horizontal bars, and MNIST-style image grids. Canvases are sized for the screen's pixel
// ratio so lines stay sharp.
import * as gg from '../src/index.js';

export const palette = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];

export const colors = {
  text: '#d7dde8',
  muted: '#8a94a6',
  grid: '#2a3140',
  accent: '#7cc4ff',
  anomaly: '#ff4d6d',
};

/** The 2-D context of a canvas whose backing store matches its CSS size times the pixel ratio. */
export function sharpContext(canvas: HTMLCanvasElement): { context: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext('2d')!;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return { context, width, height };
}

/** A number in few characters: 1234 -> '1234', 0.000123 -> '1.23e-4'. */
export function shortNumber(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(2).replace('e+', 'e');
  return value.toPrecision(4).replace(/\.?0+$/, '');
}

/**
 * The loss against the step; past 40 readings, faint, with an exponential moving average on top. The
 * y axis fits the readings, or spans `range` (a count out of a known total, say).
 */
export function drawLossChart(canvas: HTMLCanvasElement, points: readonly { step: number; loss: number }[], label: string, options: { range?: [number, number] } = {}): void {
  const { context, width, height } = sharpContext(canvas);
  const margin = { left: 56, right: 12, top: 22, bottom: 24 };
  context.font = '11px system-ui, sans-serif';
  context.fillStyle = colors.muted;
  context.fillText(label, margin.left, 14);
  if (points.length === 0) {
    context.fillText('press Start to train', margin.left, height / 2);
    return;
  }
  const losses = points.map((p) => p.loss);
  let [low, high] = options.range ?? [Math.min(...losses), Math.max(...losses)];
  if (high - low < 1e-9) {
    high += Math.max(1e-3, Math.abs(high) * 0.01);
    low -= Math.max(1e-3, Math.abs(low) * 0.01);
  }
  const firstStep = points[0].step;
  const lastStep = Math.max(points[points.length - 1].step, firstStep + 1);
  const x = (step: number) => margin.left + ((step - firstStep) / (lastStep - firstStep)) * (width - margin.left - margin.right);
  const y = (loss: number) => margin.top + ((high - loss) / (high - low)) * (height - margin.top - margin.bottom);
  context.strokeStyle = colors.grid;
  context.lineWidth = 1;
  context.fillStyle = colors.muted;
  for (let i = 0; i <= 4; i++) {
    const value = low + ((high - low) * i) / 4;
    context.beginPath();
    context.moveTo(margin.left, y(value));
    context.lineTo(width - margin.right, y(value));
    context.stroke();
    context.fillText(shortNumber(value), 4, y(value) + 4);
  }
  context.fillText(String(firstStep), margin.left, height - 6);
  const lastLabel = String(lastStep);
  context.fillText(lastLabel, width - margin.right - context.measureText(lastLabel).width, height - 6);
  const line = (values: readonly number[], style: string, lineWidth: number) => {
    context.strokeStyle = style;
    context.lineWidth = lineWidth;
    context.beginPath();
    values.forEach((v, i) => (i === 0 ? context.moveTo(x(points[i].step), y(v)) : context.lineTo(x(points[i].step), y(v))));
    context.stroke();
  };
  if (points.length <= 40) {
    line(losses, colors.accent, 2);
    return;
  }
  line(losses, 'rgba(124, 196, 255, 0.35)', 1);
  let average = losses[0];
  line(losses.map((v) => (average = 0.9 * average + 0.1 * v)), colors.accent, 2);
}

/** A square view of the plane: data coordinates to canvas pixels, fitted around the points. */
export class PlaneView {
  readonly context: CanvasRenderingContext2D;
  readonly width: number;
  readonly height: number;
  private readonly scale: number;
  private readonly centerX: number;
  private readonly centerY: number;

  constructor(canvas: HTMLCanvasElement, points: ArrayLike<number>) {
    ({ context: this.context, width: this.width, height: this.height } = sharpContext(canvas));
    let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < points.length; i += 2) {
      minX = Math.min(minX, points[i]);
      maxX = Math.max(maxX, points[i]);
      minY = Math.min(minY, points[i + 1]);
      maxY = Math.max(maxY, points[i + 1]);
    }
    this.centerX = (minX + maxX) / 2;
    this.centerY = (minY + maxY) / 2;
    this.scale = (0.92 * Math.min(this.width, this.height)) / Math.max(maxX - minX, maxY - minY, 1e-6);
  }

  px(x: number): number {
    return this.width / 2 + (x - this.centerX) * this.scale;
  }

  py(y: number): number {
    return this.height / 2 - (y - this.centerY) * this.scale;
  }

  /** Points [n, 2] as dots, coloured by label (palette index; -1 grey). */
  dots(points: ArrayLike<number>, labels: ArrayLike<number> | null, radius = 2.2): void {
    const context = this.context;
    for (let i = 0; i < points.length / 2; i++) {
      const label = labels ? labels[i] : -1;
      context.fillStyle = label >= 0 ? palette[label % palette.length] : colors.muted;
      context.globalAlpha = 0.75;
      context.beginPath();
      context.arc(this.px(points[2 * i]), this.py(points[2 * i + 1]), radius, 0, 2 * Math.PI);
      context.fill();
    }
    context.globalAlpha = 1;
  }

  /** Rings around the points where mask[i] is 1. */
  rings(points: ArrayLike<number>, mask: ArrayLike<number>): void {
    const context = this.context;
    context.strokeStyle = colors.anomaly;
    context.lineWidth = 1.6;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      context.beginPath();
      context.arc(this.px(points[2 * i]), this.py(points[2 * i + 1]), 6, 0, 2 * Math.PI);
      context.stroke();
    }
  }

  /** The 1 and 2 standard deviation contours of a 2-D Gaussian, and a cross at its mean. */
  gaussian(mean: readonly number[], covariance: readonly (readonly number[])[], color: string): void {
    const [[a, b], [, d]] = covariance;
    // Eigen-decomposition of the symmetric 2 x 2 matrix [[a, b], [b, d]].
    const half = (a + d) / 2;
    const spread = Math.sqrt(((a - d) / 2) ** 2 + b * b);
    const major = Math.sqrt(Math.max(half + spread, 0));
    const minor = Math.sqrt(Math.max(half - spread, 0));
    const angle = Math.atan2(half + spread - a, b || 1e-12);
    const context = this.context;
    context.strokeStyle = color;
    for (const [sigmas, lineWidth] of [[1, 2], [2, 1]] as const) {
      context.lineWidth = lineWidth;
      context.beginPath();
      context.ellipse(this.px(mean[0]), this.py(mean[1]), sigmas * major * this.scale, sigmas * minor * this.scale, -angle, 0, 2 * Math.PI);
      context.stroke();
    }
    const [cx, cy] = [this.px(mean[0]), this.py(mean[1])];
    context.lineWidth = 2.5;
    context.beginPath();
    context.moveTo(cx - 6, cy);
    context.lineTo(cx + 6, cy);
    context.moveTo(cx, cy - 6);
    context.lineTo(cx, cy + 6);
    context.stroke();
  }
}

/** Horizontal bars with a label and a value each, longest = full width. */
export function drawBars(canvas: HTMLCanvasElement, bars: readonly { label: string; value: number; color: string; text: string }[]): void {
  const { context, width } = sharpContext(canvas);
  const rowHeight = 26;
  const labelWidth = 190;
  const maximum = Math.max(...bars.map((bar) => bar.value), 1e-9);
  context.font = '12px system-ui, sans-serif';
  bars.forEach((bar, i) => {
    const top = 6 + i * rowHeight;
    context.fillStyle = colors.text;
    context.fillText(bar.label, 6, top + 15);
    const length = ((width - labelWidth - 90) * bar.value) / maximum;
    context.fillStyle = bar.color;
    context.fillRect(labelWidth, top + 3, Math.max(length, 1), rowHeight - 8);
    context.fillStyle = colors.text;
    context.fillText(bar.text, labelWidth + length + 6, top + 15);
  });
}

/** Images [N, pixels] (values in [0, 1], from the GPU) as a grid on a canvas, magnified to fit its width. */
export async function drawImages(canvas: HTMLCanvasElement, images: gg.Tensor, columns: number, padding = 1): Promise<void> {
  const grid = await gg.metrics.tensorGrid(images, { columns, padding, background: 0.15 });
  drawRaster(canvas, grid);
}

/** A raster drawn at the largest whole-pixel magnification that fits the canvas's CSS width. */
export function drawRaster(canvas: HTMLCanvasElement, raster: gg.metrics.RasterImage): void {
  const available = canvas.parentElement?.clientWidth || canvas.clientWidth || raster.width;
  const scale = Math.max(1, Math.floor(Math.min(available, 560) / raster.width));
  canvas.width = raster.width * scale;
  canvas.height = raster.height * scale;
  const context = canvas.getContext('2d')!;
  gg.metrics.drawImageOnCanvas(context, raster, { scale });
}
