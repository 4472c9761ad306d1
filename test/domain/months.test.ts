// Month strings ('YYYY-MM'): validation, ranges across year ends, the schedule's lag, the supported family.
import {
  FIRST_SUPPORTED_MONTH,
  laggedMonth,
  monthFromIndex,
  monthIndex,
  monthRange,
  pastOrCurrentMonth,
  supportedMonth,
  parseMonth,
  validMonth,
} from '../../domain/months';

describe('validMonth', () => {
  test('accepts YYYY-MM with a real month', () => {
    for (const month of ['2025-01', '2025-12', '2023-09', '2009-01']) expect(validMonth(month)).toBe(month);
  });

  test('rejects anything else, naming the value and the format', () => {
    for (const bad of ['2025-00', '2025-13', '2025-3', '25-03', '2025/03', '2025-03-01', ' 2025-03', '']) {
      expect(() => validMonth(bad)).toThrow(`Invalid month '${bad}': use YYYY-MM`);
    }
  });
});

describe('parseMonth', () => {
  test('splits a valid month into numbers', () => {
    expect(parseMonth('2025-12')).toEqual({ year: 2025, month: 12 });
  });

  test('refuses an injection attempt like any other malformed month', () => {
    expect(() => validMonth("2025-02' OR '1'='1")).toThrow(/Invalid month .*YYYY-MM/);
  });

  test('refuses years no TLC record can have', () => {
    for (const bad of ['2008-12', '2101-01', '0000-01']) {
      expect(() => validMonth(bad)).toThrow(/outside the range of TLC trip records \(2009 to 2100\)/);
    }
  });
});

describe('monthIndex and monthFromIndex', () => {
  test('are inverse and consecutive across a year end', () => {
    expect(monthIndex('2024-12') + 1).toBe(monthIndex('2025-01'));
    for (const month of ['2023-01', '2024-02', '2024-12', '2025-10']) {
      expect(monthFromIndex(monthIndex(month))).toBe(month);
    }
  });

  test('pad the month to two digits', () => {
    expect(monthFromIndex(2025 * 12)).toBe('2025-01');
    expect(monthFromIndex(2025 * 12 + 11)).toBe('2025-12');
  });
});

describe('monthRange', () => {
  test('lists every month from the first to the last inclusive, across year ends', () => {
    expect(monthRange('2024-11', '2025-02')).toEqual(['2024-11', '2024-12', '2025-01', '2025-02']);
  });

  test('a range of one month is that month', () => {
    expect(monthRange('2025-03', '2025-03')).toEqual(['2025-03']);
  });

  test('a whole year has twelve months', () => {
    const year = monthRange('2024-01', '2024-12');
    expect(year).toHaveLength(12);
    expect(new Set(year).size).toBe(12);
  });

  test('refuses a reversed range and invalid ends', () => {
    expect(() => monthRange('2025-03', '2025-02')).toThrow('Empty month range: 2025-03 is after 2025-02.');
    expect(() => monthRange('2025-01', '2024-12')).toThrow(/Empty month range/);
    expect(() => monthRange('2025-13', '2026-01')).toThrow(/Invalid month '2025-13'/);
    expect(() => monthRange('2025-01', 'soon')).toThrow(/Invalid month 'soon'/);
  });
});

describe('laggedMonth', () => {
  test('is the month lagMonths before the date', () => {
    expect(laggedMonth(new Date('2025-05-15T12:00:00Z'), 2)).toBe('2025-03');
    expect(laggedMonth(new Date('2025-05-15T12:00:00Z'), 0)).toBe('2025-05');
  });

  test('crosses year ends', () => {
    expect(laggedMonth(new Date('2025-01-01T00:00:00Z'), 1)).toBe('2024-12');
    expect(laggedMonth(new Date('2025-02-10T00:00:00Z'), 14)).toBe('2023-12');
  });

  test('reads the date in UTC, not in local time', () => {
    // The first and last instants of a UTC month, whatever the machine's time zone.
    expect(laggedMonth(new Date('2025-03-01T00:00:00Z'), 2)).toBe('2025-01');
    expect(laggedMonth(new Date('2025-03-31T23:59:59.999Z'), 2)).toBe('2025-01');
  });
});

describe('supportedMonth', () => {
  test('accepts the first supported month and later ones', () => {
    expect(FIRST_SUPPORTED_MONTH).toBe('2023-01');
    expect(supportedMonth('2023-01')).toBe('2023-01');
    expect(supportedMonth('2030-06')).toBe('2030-06');
  });

  test('refuses earlier months, saying what is supported', () => {
    expect(() => supportedMonth('2022-12')).toThrow(
      'Month 2022-12 is not supported: the pipeline loads 2023-01 and later.',
    );
  });

  test('refuses invalid months as invalid', () => {
    expect(() => supportedMonth('2023-1')).toThrow(/Invalid month/);
  });
});

describe('pastOrCurrentMonth', () => {
  const now = new Date('2026-12-03T04:00:00Z');

  test('accepts past months and the current one (whose run waits for the file)', () => {
    for (const month of ['2023-01', '2026-11', '2026-12']) expect(pastOrCurrentMonth(month, now)).toBe(month);
  });

  test('refuses a month after the current one, saying when it can run', () => {
    for (const month of ['2027-01', '2030-06']) {
      expect(() => pastOrCurrentMonth(month, now)).toThrow(
        `Month ${month} is in the future (it is 2026-12 now): TLC publishes a month's file about two months`,
      );
    }
  });

  test('uses the UTC month at a month boundary', () => {
    expect(() => pastOrCurrentMonth('2027-01', new Date('2026-12-31T23:30:00-05:00'))).not.toThrow();
  });
});
