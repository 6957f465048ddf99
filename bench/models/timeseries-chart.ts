// The forecast chart of bench/models/timeseries.ts, drawn in plain JavaScript into RGB pixels (no
// canvas in Node): days on x with a tick at each month, births on y with grid lines, the 80% band
// filled, truth and forecast mean as lines, a dashed line where the forecast starts, and labels in a
// 5 x 7 pixel font.

import type { RasterImage } from '../../src/metrics/png.js';
import { dateOfDay } from '../../src/models/timeseries/index.js';

/** What the chart shows: consecutive days, the history first, then the forecast days. */
export interface ForecastChartData {
  /** Observed values before the forecast. */
  history: number[];
  /** Observed values of the forecast days. */
  truth: number[];
  /** The forecast mean of each forecast day. */
  mean: number[];
  /** The lower and upper ends of the band of each forecast day. */
  lower: number[];
  upper: number[];
  /** Day number (days since 1970-01-01) of the first history value. */
  firstDay: number;
}

type Rgb = readonly [number, number, number];
const BLACK: Rgb = [20, 20, 20];
const GRID: Rgb = [225, 225, 225];
const AXIS: Rgb = [120, 120, 120];
const FORECAST: Rgb = [214, 90, 20];
const BAND: Rgb = [250, 205, 170];

// Rows of 5 pixels, top to bottom, '1' lit.
const GLYPHS: Record<string, string> = {
  '0': '01110 10001 10011 10101 11001 10001 01110', '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111', '3': '11111 00010 00100 00010 00001 10001 01110',
  '4': '00010 00110 01010 10010 11111 00010 00010', '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110', '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110', '9': '01110 10001 10001 01111 00001 00010 01100',
  A: '01110 10001 10001 11111 10001 10001 10001', B: '11110 10001 10001 11110 10001 10001 11110',
  C: '01110 10001 10000 10000 10000 10001 01110', D: '11100 10010 10001 10001 10001 10010 11100',
  E: '11111 10000 10000 11110 10000 10000 11111', F: '11111 10000 10000 11110 10000 10000 10000',
  G: '01110 10001 10000 10111 10001 10001 01111', H: '10001 10001 10001 11111 10001 10001 10001',
  I: '01110 00100 00100 00100 00100 00100 01110', J: '00111 00010 00010 00010 00010 10010 01100',
  K: '10001 10010 10100 11000 10100 10010 10001', L: '10000 10000 10000 10000 10000 10000 11111',
  M: '10001 11011 10101 10101 10001 10001 10001', N: '10001 10001 11001 10101 10011 10001 10001',
  O: '01110 10001 10001 10001 10001 10001 01110', P: '11110 10001 10001 11110 10000 10000 10000',
  Q: '01110 10001 10001 10001 10101 10010 01101', R: '11110 10001 10001 11110 10100 10010 10001',
  S: '01111 10000 10000 01110 00001 00001 11110', T: '11111 00100 00100 00100 00100 00100 00100',
  U: '10001 10001 10001 10001 10001 10001 01110', V: '10001 10001 10001 10001 10001 01010 00100',
  W: '10001 10001 10001 10101 10101 10101 01010', X: '10001 10001 01010 00100 01010 10001 10001',
  Y: '10001 10001 10001 01010 00100 00100 00100', Z: '11111 00001 00010 00100 01000 10000 11111',
  '-': '00000 00000 00000 11111 00000 00000 00000', '%': '11000 11001 00010 00100 01000 10011 00011',
  '.': '00000 00000 00000 00000 00000 01100 01100', ',': '00000 00000 00000 00000 01100 00100 01000',
  '/': '00000 00001 00010 00100 01000 10000 00000', ':': '00000 01100 01100 00000 01100 01100 00000',
  '(': '00010 00100 01000 01000 01000 00100 00010', ')': '01000 00100 00010 00010 00010 00100 01000',
  ' ': '00000 00000 00000 00000 00000 00000 00000',
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** A white RGB canvas to draw on. */
class Raster {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }

  set(x: number, y: number, color: Rgb): void {
    const [px, py] = [Math.round(x), Math.round(y)];
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    this.pixels.set(color, (py * this.width + px) * 3);
  }

  rect(x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
    for (let y = Math.round(y0); y <= Math.round(y1); y++) for (let x = Math.round(x0); x <= Math.round(x1); x++) this.set(x, y, color);
  }

  /** A line `thickness` pixels wide, stepped one pixel at a time along its longer axis. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1, dash = 0): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = (thickness - 1) / 2;
    for (let i = 0; i <= steps; i++) {
      if (dash > 0 && Math.floor(i / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.rect(x - half, y - half, x + half, y + half, color);
    }
  }

  /** Text in the 5 x 7 font at `scale`, its top-left corner at (x, y); returns its width. */
  text(x: number, y: number, text: string, color: Rgb, scale = 2): number {
    [...text.toUpperCase()].forEach((char, i) => {
      const glyph = GLYPHS[char] ?? GLYPHS[' '];
      glyph.split(' ').forEach((row, gy) => {
        [...row].forEach((bit, gx) => {
          if (bit === '1') this.rect(x + (i * 6 + gx) * scale, y + gy * scale, x + (i * 6 + gx) * scale + scale - 1, y + gy * scale + scale - 1, color);
        });
      });
    });
    return text.length * 6 * scale;
  }
}

/** The chart as an RGB image (960 x 480). */
export function drawForecastChart(data: ForecastChartData): RasterImage {
  const [width, height] = [960, 480];
  const margin = { left: 84, right: 20, top: 56, bottom: 54 };
  const raster = new Raster(width, height);
  const days = data.history.length + data.truth.length;
  const all = [...data.history, ...data.truth, ...data.mean, ...data.lower, ...data.upper];
  const tick = 1000;
  const yMin = Math.floor(Math.min(...all) / tick) * tick;
  const yMax = Math.ceil(Math.max(...all) / tick) * tick;
  const px = (day: number) => margin.left + (day / (days - 1)) * (width - margin.left - margin.right);
  const py = (value: number) => height - margin.bottom - ((value - yMin) / (yMax - yMin)) * (height - margin.top - margin.bottom);
  // Grid and y labels.
  for (let value = yMin; value <= yMax; value += tick) {
    raster.line(margin.left, py(value), width - margin.right, py(value), GRID);
    const label = value.toLocaleString('en-US');
    raster.text(margin.left - 8 - label.length * 12, py(value) - 7, label, AXIS);
  }
  // Month ticks and labels.
  for (let day = 0; day < days; day++) {
    const date = dateOfDay(data.firstDay + day);
    if (date.day !== 1) continue;
    raster.line(px(day), height - margin.bottom, px(day), height - margin.bottom + 6, AXIS);
    const label = date.month === 1 ? `${MONTHS[0]} ${date.year}` : MONTHS[date.month - 1];
    raster.text(px(day) - 18, height - margin.bottom + 12, label, AXIS);
  }
  raster.line(margin.left, height - margin.bottom, width - margin.right, height - margin.bottom, AXIS);
  raster.line(margin.left, margin.top, margin.left, height - margin.bottom, AXIS);
  // The band, column by column between the interpolated ends.
  const start = data.history.length;
  for (let x = Math.ceil(px(start)); x <= Math.floor(px(days - 1)); x++) {
    const at = ((x - margin.left) / (width - margin.left - margin.right)) * (days - 1) - start;
    const i = Math.min(Math.floor(at), data.mean.length - 2);
    const f = at - i;
    const low = data.lower[i] * (1 - f) + data.lower[i + 1] * f;
    const high = data.upper[i] * (1 - f) + data.upper[i + 1] * f;
    raster.rect(x, py(high), x, py(low), BAND);
  }
  raster.line(px(start - 0.5), margin.top, px(start - 0.5), height - margin.bottom, AXIS, 1, 4);
  // The truth over the forecast mean, so that both stay visible where they meet.
  for (let d = 1; d < data.mean.length; d++) raster.line(px(start + d - 1), py(data.mean[d - 1]), px(start + d), py(data.mean[d]), FORECAST, 2);
  const observed = [...data.history, ...data.truth];
  for (let d = 1; d < observed.length; d++) raster.line(px(d - 1), py(observed[d - 1]), px(d), py(observed[d]), BLACK, 1);
  // Title and legend.
  raster.text(margin.left, 12, 'US DAILY BIRTHS: TRUTH AND FORECAST MEAN WITH 80% BAND', BLACK);
  let x = margin.left;
  for (const [label, color, thickness] of [['TRUTH', BLACK, 2], ['FORECAST MEAN', FORECAST, 3], ['80% BAND', BAND, 10]] as const) {
    raster.rect(x, 39 - thickness / 2, x + 24, 39 + thickness / 2, color);
    x += 32 + raster.text(x + 32, 33, label, AXIS) + 24;
  }
  return { width, height, channels: 3, pixels: raster.pixels };
}
