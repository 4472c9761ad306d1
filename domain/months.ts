// Months as 'YYYY-MM' strings: validation and arithmetic. Pure, so workflows may import it too.

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The earliest month whose files share the schema family the pipeline loads (2023 on, see the README). */
export const FIRST_SUPPORTED_MONTH = '2023-01';

/** The years a TLC trip record can have: the records start in 2009; later than 2100 is a typo. */
const FIRST_RECORD_YEAR = 2009;
const LAST_RECORD_YEAR = 2100;

export interface ParsedMonth {
  year: number;
  /** 1..12 */
  month: number;
}

/** 'YYYY-MM' with a real month and a year the TLC records can have; throws otherwise. */
export function parseMonth(month: string): ParsedMonth {
  const match = MONTH.exec(month);
  if (!match) throw new Error(`Invalid month '${month}': use YYYY-MM, e.g. 2025-03.`);
  const year = Number(match[1]);
  if (year < FIRST_RECORD_YEAR || year > LAST_RECORD_YEAR) {
    throw new Error(
      `Invalid month '${month}': outside the range of TLC trip records (${FIRST_RECORD_YEAR} to ${LAST_RECORD_YEAR}).`,
    );
  }
  return { year, month: Number(match[2]) };
}

/** The month itself, once parseMonth accepts it (the one check of a month string, wherever it comes from). */
export function validMonth(month: string): string {
  parseMonth(month);
  return month;
}

export function monthIndex(month: string): number {
  const { year, month: m } = parseMonth(month);
  return year * 12 + m - 1;
}

export function monthFromIndex(index: number): string {
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** Every month from `from` to `to`, inclusive. */
export function monthRange(from: string, to: string): string[] {
  const start = monthIndex(from);
  const end = monthIndex(to);
  if (end < start) throw new Error(`Empty month range: ${from} is after ${to}.`);
  return Array.from({ length: end - start + 1 }, (_, i) => monthFromIndex(start + i));
}

/** The month `lagMonths` before the month of `date` (UTC). */
export function laggedMonth(date: Date, lagMonths: number): string {
  return monthFromIndex(date.getUTCFullYear() * 12 + date.getUTCMonth() - lagMonths);
}

/** Rejects months before the supported schema family with a message that says what is supported. */
export function supportedMonth(month: string): string {
  if (monthIndex(month) < monthIndex(FIRST_SUPPORTED_MONTH)) {
    throw new Error(
      `Month ${month} is not supported: the pipeline loads ${FIRST_SUPPORTED_MONTH} and later.`,
    );
  }
  return month;
}

/**
 * Rejects a month after the month of `now` (UTC): its file cannot exist yet, and a run would only wait for
 * it. The current month is accepted (its file is published about two months after it ends: that run waits).
 */
export function pastOrCurrentMonth(month: string, now: Date): string {
  const current = monthFromIndex(now.getUTCFullYear() * 12 + now.getUTCMonth());
  if (monthIndex(month) > monthIndex(current)) {
    throw new Error(
      `Month ${month} is in the future (it is ${current} now): TLC publishes a month's file about two months ` +
        'after the month ends. Run it once it is published (the monthly schedule does so by itself).',
    );
  }
  return month;
}
