// Months as 'YYYY-MM' strings: validation and arithmetic. Pure, so workflows may import it too.

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The earliest month whose files share the schema family the pipeline loads (2023 on, see the README). */
export const FIRST_SUPPORTED_MONTH = '2023-01';

export function validMonth(month: string): string {
  if (!MONTH.test(month)) {
    throw new Error(`Invalid month '${month}': use YYYY-MM, e.g. 2025-03.`);
  }
  return month;
}

export function monthIndex(month: string): number {
  const [, y, m] = MONTH.exec(validMonth(month)) as RegExpExecArray;
  return Number(y) * 12 + Number(m) - 1;
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
