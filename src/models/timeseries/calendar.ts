// Calendar covariates of a daily series: the features of day t that are known in advance, so that a
// forecaster can use them over its whole horizon. Day of the week one-hot, day of the year as sin/cos
// harmonics, and optional holiday indicators (the holiday, the days either side, and the weekday a
// weekend holiday is observed on). Dates are counted in UTC days, so no time zone or daylight-saving
// change can shift a day.

/** A calendar day: year, month 1-12, day of the month 1-31. */
export interface CalendarDate {
  /** The year, e.g. 1969. */
  year: number;
  /** The month, 1 (January) to 12. */
  month: number;
  /** The day of the month, 1 to 31. */
  day: number;
}

/** A named holiday falling on one date of a year. */
export interface Holiday {
  /** The holiday's name; each name gets its own features. */
  name: string;
  /** The date it falls on. */
  date: CalendarDate;
}

/** Features of step t of a series (t = 0 is its first value), for any t, past or future. */
export interface Covariates {
  /** Features per step. */
  readonly width: number;
  /** A name for each feature, in order. */
  readonly names: readonly string[];
  /** Writes step t's `width` features into `out` from `offset`. */
  write(t: number, out: Float32Array | Float64Array, offset: number): void;
}

/** Options of {@link calendarCovariates}. */
export interface CalendarOptions {
  /** Sin/cos pairs of the day of the year at 1, 2, ... this many cycles a year (default 4). */
  yearlyHarmonics?: number;
  /**
   * The holidays of a year (e.g. {@link usFederalHolidays}); each name adds four 0/1 features: the day
   * before, the day, the day after, and the day it is observed on when it falls on a weekend
   * (the Friday before a Saturday, the Monday after a Sunday). Default: none.
   */
  holidays?: (year: number) => readonly Holiday[];
}

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a date (UTC). */
export function dayNumber(date: CalendarDate): number {
  return Math.round(Date.UTC(date.year, date.month - 1, date.day) / MS_PER_DAY);
}

/** The date `days` days after 1970-01-01 (UTC). */
export function dateOfDay(days: number): CalendarDate {
  const d = new Date(days * MS_PER_DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Day of the week of a day number: 0 Monday ... 6 Sunday (ISO order; 1970-01-01 was a Thursday). */
export function dayOfWeek(days: number): number {
  return (((days + 3) % 7) + 7) % 7;
}

function checkDate(op: string, date: CalendarDate): void {
  const { year, month, day } = date ?? ({} as CalendarDate);
  const valid = Number.isInteger(year) && Number.isInteger(month) && Number.isInteger(day) && month >= 1 && month <= 12 && day >= 1 && day <= 31;
  const roundTrip = valid ? dateOfDay(dayNumber(date)) : null;
  if (!roundTrip || roundTrip.year !== year || roundTrip.month !== month || roundTrip.day !== day) {
    throw new Error(`${op}: expected a calendar date { year, month 1-12, day 1-31 } that exists, got ${JSON.stringify(date)}`);
  }
}

/** The n-th (1-based) given weekday (0 Monday ... 6 Sunday) of a month, or its last one for n = -1. */
export function nthWeekday(year: number, month: number, weekday: number, n: number): CalendarDate {
  if (n === -1) {
    const last = dayNumber({ year, month: month + 1, day: 1 }) - 1; // Date.UTC rolls month 13 into January
    return dateOfDay(last - ((dayOfWeek(last) - weekday + 7) % 7));
  }
  const first = dayNumber({ year, month, day: 1 });
  return dateOfDay(first + ((weekday - dayOfWeek(first) + 7) % 7) + 7 * (n - 1));
}

/**
 * Six US federal holidays by their current rules: New Year's Day, Memorial Day (the last Monday of
 * May since 1971, May 30 before), Independence Day, Labor Day (the first Monday of September),
 * Thanksgiving (the fourth Thursday of November) and Christmas. The other federal holidays (Martin
 * Luther King Jr. Day, Washington's Birthday, Columbus Day, Veterans Day) are left out.
 */
export function usFederalHolidays(year: number): Holiday[] {
  if (!Number.isInteger(year)) throw new Error(`usFederalHolidays: year must be an integer, got ${year}`);
  return [
    { name: 'newYear', date: { year, month: 1, day: 1 } },
    { name: 'memorialDay', date: year < 1971 ? { year, month: 5, day: 30 } : nthWeekday(year, 5, 0, -1) },
    { name: 'independenceDay', date: { year, month: 7, day: 4 } },
    { name: 'laborDay', date: nthWeekday(year, 9, 0, 1) },
    { name: 'thanksgiving', date: nthWeekday(year, 11, 3, 4) },
    { name: 'christmas', date: { year, month: 12, day: 25 } },
  ];
}

/**
 * The calendar features of a daily series whose first value falls on `start`: 7 day-of-week one-hot
 * features (Monday first), 2 * yearlyHarmonics features sin(2 pi k d / L), cos(2 pi k d / L) of the
 * day of the year d (0 on January 1) in a year of L = 365 or 366 days, and 4 per holiday name when
 * `holidays` is given.
 */
export function calendarCovariates(start: CalendarDate, options: CalendarOptions = {}): Covariates {
  const op = 'calendarCovariates';
  checkDate(op, start);
  const { yearlyHarmonics = 4, holidays } = options;
  if (!Number.isInteger(yearlyHarmonics) || yearlyHarmonics < 0) throw new Error(`${op}: yearlyHarmonics must be an integer >= 0, got ${yearlyHarmonics}`);
  if (holidays !== undefined && typeof holidays !== 'function') throw new Error(`${op}: holidays must be a function of the year`);
  const first = dayNumber(start);
  const holidayNames = holidays ? [...new Set(holidays(start.year).map((h) => h.name))] : [];
  const holidayDays = new Map<number, { day: number; name: string }[]>();
  const holidaysOf = (year: number) => {
    let days = holidayDays.get(year);
    if (!days) {
      days = holidays!(year).map((h) => {
        checkDate(`${op}: holidays(${year})`, h.date);
        if (!holidayNames.includes(h.name)) throw new Error(`${op}: holidays(${year}) names '${h.name}', which holidays(${start.year}) did not; every year must name the same holidays`);
        return { day: dayNumber(h.date), name: h.name };
      });
      holidayDays.set(year, days);
    }
    return days;
  };
  const names = [
    ...['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `dayOfWeek.${d}`),
    ...Array.from({ length: yearlyHarmonics }, (_, k) => [`dayOfYear.sin${k + 1}`, `dayOfYear.cos${k + 1}`]).flat(),
    ...holidayNames.flatMap((name) => ['before', 'on', 'after', 'observed'].map((when) => `${name}.${when}`)),
  ];
  const write = (t: number, out: Float32Array | Float64Array, offset: number) => {
    if (!Number.isInteger(t)) throw new Error(`${op}: step t must be an integer, got ${t}`);
    const day = first + t;
    const { year } = dateOfDay(day);
    let at = offset;
    const weekday = dayOfWeek(day);
    for (let k = 0; k < 7; k++) out[at++] = k === weekday ? 1 : 0;
    const dayOfYear = day - dayNumber({ year, month: 1, day: 1 });
    const yearLength = dayNumber({ year: year + 1, month: 1, day: 1 }) - dayNumber({ year, month: 1, day: 1 });
    for (let k = 1; k <= yearlyHarmonics; k++) {
      const angle = (2 * Math.PI * k * dayOfYear) / yearLength;
      out[at++] = Math.sin(angle);
      out[at++] = Math.cos(angle);
    }
    if (holidayNames.length === 0) return;
    out.fill(0, at, at + 4 * holidayNames.length);
    // A holiday's neighbours may fall in the year before or after (December 31 is New Year's eve).
    for (const h of [...holidaysOf(year - 1), ...holidaysOf(year), ...holidaysOf(year + 1)]) {
      const base = at + 4 * holidayNames.indexOf(h.name);
      const offsetDays = day - h.day;
      if (offsetDays === -1) out[base] = 1;
      if (offsetDays === 0) out[base + 1] = 1;
      if (offsetDays === 1) out[base + 2] = 1;
      const holidayWeekday = dayOfWeek(h.day);
      const observed = holidayWeekday === 5 ? h.day - 1 : holidayWeekday === 6 ? h.day + 1 : null;
      if (observed === day) out[base + 3] = 1;
    }
  };
  return { width: names.length, names, write };
}
