// Which statements belong to a run's catalog: those that name it as a whole word, never another run's.
import { namesCatalog } from '../../clients/trino-kill';

const CATALOG = 'etl_2025_03_0197c2a45b_1';

describe('namesCatalog', () => {
  test('finds the catalog quoted, unquoted, qualified, in any case', () => {
    expect(namesCatalog(`SELECT * FROM ${CATALOG}.bronze.yellow_trips`, CATALOG)).toBe(true);
    expect(namesCatalog(`insert into "${CATALOG}"."silver"."t" select 1`, CATALOG)).toBe(true);
    expect(namesCatalog(`DROP CATALOG ${CATALOG.toUpperCase()}`, CATALOG)).toBe(true);
    expect(namesCatalog(CATALOG, CATALOG)).toBe(true);
  });

  test('does not take another attempt or run for this one', () => {
    expect(namesCatalog('SELECT * FROM etl_2025_03_0197c2a45b_12.bronze.t', CATALOG)).toBe(false);
    expect(namesCatalog('SELECT * FROM xetl_2025_03_0197c2a45b_1.bronze.t', CATALOG)).toBe(false);
    expect(namesCatalog('SELECT 1', CATALOG)).toBe(false);
  });

  test('refuses a catalog name that is not an identifier', () => {
    expect(() => namesCatalog('SELECT 1', 'a.*')).toThrow(/Invalid SQL identifier/);
  });
});
