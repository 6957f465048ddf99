// Small canvas plots for the demo: a line chart for the loss, a 2-D scatter view with Gaussian
// ellipses, horizontal bars, MNIST-style image grids, and for daily series a forecast chart (dates
// on x, a band and a mean over the truth, days coloured by a label) and a year-by-day calendar of
// labels. Canvases are sized for the screen's pixel ratio so lines stay sharp.
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A round step near `span / count`: 1, 2 or 5 times a power of ten. */
function niceStep(span: number, count: number): number {
  const raw = Math.max(span, 1e-9) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
}

/** A daily series and its forecast, as {@link drawForecastChart} shows them. */
export interface ForecastChartData {
  /** Day number (days since 1970-01-01, gg.models.dayNumber) of observed[0]. */
  firstDay: number;
  /** The observed values of consecutive days: the history, then the days forecast. */
  observed: ArrayLike<number>;
  /** Index in `observed` of the first forecast day. */
  forecastStart: number;
  /** The forecast of days forecastStart ... observed.length - 1: its mean and band; null before there is one. */
  forecast: { mean: ArrayLike<number>; lower: ArrayLike<number>; upper: ArrayLike<number> } | null;
  /** A palette index per observed day, drawn as the colour of its dot; null draws no dots. */
  labels: ArrayLike<number> | null;
}

/**
 * Dates on x (a tick at each month), values on y; the forecast's band filled and its mean as a line,
 * the observed values over them as a line with a dot per day coloured by its label, a dashed line
 * where the forecast starts, and a crosshair at day `highlight`. Returns the day index under a CSS x
 * position of the canvas (or null), for a hover readout.
 */
export function drawForecastChart(canvas: HTMLCanvasElement, data: ForecastChartData, highlight: number | null = null): (x: number) => number | null {
  const { context, width, height } = sharpContext(canvas);
  const margin = { left: 60, right: 12, top: 10, bottom: 24 };
  const { observed, forecast, forecastStart, labels } = data;
  const days = observed.length;
  const values = [...Array.from(observed), ...(forecast ? [...Array.from(forecast.lower), ...Array.from(forecast.upper), ...Array.from(forecast.mean)] : [])];
  const step = niceStep(Math.max(...values) - Math.min(...values), 5);
  const low = Math.floor(Math.min(...values) / step) * step;
  const high = Math.ceil(Math.max(...values) / step) * step;
  const plotWidth = width - margin.left - margin.right;
  const x = (day: number) => margin.left + (day / Math.max(days - 1, 1)) * plotWidth;
  const y = (value: number) => margin.top + ((high - value) / (high - low || 1)) * (height - margin.top - margin.bottom);
  context.font = '11px system-ui, sans-serif';
  context.lineWidth = 1;
  for (let value = low; value <= high + step / 2; value += step) {
    context.strokeStyle = colors.grid;
    context.beginPath();
    context.moveTo(margin.left, y(value));
    context.lineTo(width - margin.right, y(value));
    context.stroke();
    context.fillStyle = colors.muted;
    const label = value.toLocaleString('en-US');
    context.fillText(label, margin.left - 6 - context.measureText(label).width, y(value) + 4);
  }
  // Ticks and labels where they fit: each month (January with its year), each quarter, or the years alone.
  const monthWidth = (30.4 * plotWidth) / Math.max(days - 1, 1);
  const yearsOnly = monthWidth < 14;
  const labelEvery = monthWidth >= 36 ? 1 : 3;
  for (let day = 0; day < days; day++) {
    const date = gg.models.dateOfDay(data.firstDay + day);
    if (date.day !== 1 || (yearsOnly && date.month !== 1)) continue;
    context.strokeStyle = colors.muted;
    context.beginPath();
    context.moveTo(x(day), height - margin.bottom);
    context.lineTo(x(day), height - margin.bottom + 4);
    context.stroke();
    if (!yearsOnly && (date.month - 1) % labelEvery !== 0) continue;
    context.fillStyle = colors.muted;
    context.fillText(yearsOnly ? String(date.year) : date.month === 1 ? `${MONTHS[0]} ${date.year}` : MONTHS[date.month - 1], x(day) + 2, height - 6);
  }
  if (forecast) {
    const forecastDays = forecast.mean.length;
    context.fillStyle = 'rgba(242, 142, 43, 0.28)';
    context.beginPath();
    for (let h = 0; h < forecastDays; h++) context.lineTo(x(forecastStart + h), y(forecast.upper[h]));
    for (let h = forecastDays - 1; h >= 0; h--) context.lineTo(x(forecastStart + h), y(forecast.lower[h]));
    context.closePath();
    context.fill();
    context.strokeStyle = palette[1];
    context.lineWidth = 2;
    context.beginPath();
    for (let h = 0; h < forecastDays; h++) context.lineTo(x(forecastStart + h), y(forecast.mean[h]));
    context.stroke();
  }
  context.strokeStyle = colors.muted;
  context.lineWidth = 1;
  context.setLineDash([4, 4]);
  context.beginPath();
  context.moveTo(x(forecastStart - 0.5), margin.top);
  context.lineTo(x(forecastStart - 0.5), height - margin.bottom);
  context.stroke();
  context.setLineDash([]);
  context.strokeStyle = colors.text;
  context.beginPath();
  for (let day = 0; day < days; day++) context.lineTo(x(day), y(observed[day]));
  context.stroke();
  if (labels) {
    const radius = Math.min(2.6, Math.max(1, (0.35 * plotWidth) / days));
    for (let day = 0; day < days; day++) {
      context.fillStyle = palette[labels[day] % palette.length];
      context.beginPath();
      context.arc(x(day), y(observed[day]), radius, 0, 2 * Math.PI);
      context.fill();
    }
  }
  if (highlight !== null && highlight >= 0 && highlight < days) {
    context.strokeStyle = colors.accent;
    context.beginPath();
    context.moveTo(x(highlight), margin.top);
    context.lineTo(x(highlight), height - margin.bottom);
    context.stroke();
  }
  return (cssX) => {
    const day = Math.round(((cssX - margin.left) / plotWidth) * (days - 1));
    return day >= 0 && day < days ? day : null;
  };
}

/**
 * A label per day (a palette index) as a calendar: one row per year, one column per day of the year,
 * so that weekly stripes, holidays and seasons line up down the rows. `firstDay` is the day number
 * of labels[0].
 */
export function drawYearGrid(canvas: HTMLCanvasElement, firstDay: number, labels: ArrayLike<number>): void {
  const { context, width, height } = sharpContext(canvas);
  const margin = { left: 44, right: 12, top: 4, bottom: 18 };
  const firstYear = gg.models.dateOfDay(firstDay).year;
  const years = gg.models.dateOfDay(firstDay + labels.length - 1).year - firstYear + 1;
  const cellWidth = (width - margin.left - margin.right) / 366;
  const cellHeight = (height - margin.top - margin.bottom) / years;
  for (let t = 0; t < labels.length; t++) {
    const { year } = gg.models.dateOfDay(firstDay + t);
    const dayOfYear = firstDay + t - gg.models.dayNumber({ year, month: 1, day: 1 });
    context.fillStyle = palette[labels[t] % palette.length];
    context.fillRect(margin.left + dayOfYear * cellWidth, margin.top + (year - firstYear) * cellHeight, Math.ceil(cellWidth), Math.max(1, cellHeight - 1));
  }
  context.font = '11px system-ui, sans-serif';
  context.fillStyle = colors.muted;
  const yearEvery = cellHeight >= 12 ? 1 : Math.ceil(12 / cellHeight);
  for (let row = 0; row < years; row += yearEvery) context.fillText(String(firstYear + row), 4, margin.top + (row + 0.5) * cellHeight + 4);
  MONTHS.forEach((name, month) => {
    const start = gg.models.dayNumber({ year: 2001, month: month + 1, day: 1 }) - gg.models.dayNumber({ year: 2001, month: 1, day: 1 });
    context.fillText(name, margin.left + start * cellWidth, height - 4);
  });
}
