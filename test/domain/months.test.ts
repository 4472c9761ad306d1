import { monthIndex, monthRange, parseMonth, supportedMonth, validMonth } from '../../domain/months';

describe('months', () => {
  test('a month is YYYY-MM with a real month', () => {
    expect(validMonth('2025-03')).toBe('2025-03');
    expect(parseMonth('2025-12')).toEqual({ year: 2025, month: 12 });
    for (const bad of ['2025-13', '2025-3', '2025-00', '202503', "2025-02' OR '1'='1", ''])
      expect(() => validMonth(bad)).toThrow(/Invalid month .*YYYY-MM/);
  });

  test('and a year the TLC records can have', () => {
    expect(validMonth('2009-01')).toBe('2009-01');
    for (const bad of ['2008-12', '2101-01', '0000-01'])
      expect(() => validMonth(bad)).toThrow(/outside the range of TLC trip records \(2009 to 2100\)/);
  });

  test('arithmetic and the supported range', () => {
    expect(monthIndex('2025-01') - monthIndex('2024-12')).toBe(1);
    expect(monthRange('2024-11', '2025-02')).toEqual(['2024-11', '2024-12', '2025-01', '2025-02']);
    expect(() => supportedMonth('2019-01')).toThrow(/not supported/);
  });
});
