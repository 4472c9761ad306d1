// Landing keys: one per run and month, nothing that can leave its folder, and which earlier runs' files a new
// landing prunes.
import {
  landedObjectsToPrune,
  landingKey,
  landingRunOf,
  LandingKeyError,
  monthLandingPrefix,
  validLandingRunId,
} from '../../domain/landing';

const RUN = '0197c2a4-5b1e-7f30-9d8a-2c4e6f8a0b1c';
const DAY = 24 * 60 * 60 * 1000;

describe('landingKey', () => {
  test('names the month, the run and the TLC file name', () => {
    expect(landingKey('2025-03', RUN)).toBe(
      'landing/yellow/2025-03/0197c2a4-5b1e-7f30-9d8a-2c4e6f8a0b1c/yellow_tripdata_2025-03.parquet',
    );
  });

  test('two runs of a month land under different keys', () => {
    expect(landingKey('2025-03', 'run-a')).not.toBe(landingKey('2025-03', 'run-b'));
  });

  test.each(['', '../main', 'a/b', '.hidden', 'run id', "r'1; DROP TABLE x", 'x'.repeat(129), 'ü'])(
    'refuses the run id %j',
    (runId) => {
      expect(() => landingKey('2025-03', runId)).toThrow(LandingKeyError);
      expect(() => validLandingRunId(runId)).toThrow(/Invalid run id .*letters, digits, - and _/);
    },
  );

  test.each(['2025-3', '2025-13', '../2025-03', "2025-03' OR 1=1", '2025-03/..'])(
    'refuses the month %j',
    (month) => {
      expect(() => landingKey(month, RUN)).toThrow(/Invalid month/);
      expect(() => monthLandingPrefix(month)).toThrow(/Invalid month/);
    },
  );
});

describe('landingRunOf', () => {
  test('reads the run back from a landed key', () => {
    expect(landingRunOf(landingKey('2025-03', RUN), '2025-03')).toBe(RUN);
  });

  test('is undefined for partial uploads, other months and other files', () => {
    expect(landingRunOf(`${landingKey('2025-03', RUN)}.partial`, '2025-03')).toBeUndefined();
    expect(landingRunOf(landingKey('2025-04', RUN), '2025-03')).toBeUndefined();
    expect(landingRunOf(`landing/yellow/2025-03/${RUN}/other.parquet`, '2025-03')).toBeUndefined();
    expect(landingRunOf('landing/yellow/2025-03/yellow_tripdata_2025-03.parquet', '2025-03')).toBeUndefined();
  });
});

describe('landedObjectsToPrune', () => {
  const now = new Date('2026-06-30T12:00:00Z');
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  const at = (runId: string, days: number, suffix = '') => ({
    key: `${landingKey('2025-03', runId)}${suffix}`,
    lastModified: ago(days),
  });

  test('deletes other runs older than a week, keeps the newest other run and recent ones', () => {
    const objects = [
      at('current', 30), // this run's own file: never pruned, however old
      at('old-1', 20),
      at('old-2', 10),
      at('old-3', 9), // the newest of the other runs: kept for reuse
      at('old-2', 10, '.partial'),
    ];
    const expected = [
      landingKey('2025-03', 'old-1'),
      landingKey('2025-03', 'old-2'),
      `${landingKey('2025-03', 'old-2')}.partial`,
    ];
    expect(landedObjectsToPrune(objects, '2025-03', 'current', now)).toEqual(expected.sort());
  });

  test('keeps files younger than a week', () => {
    const objects = [at('a', 6), at('b', 1), at('c', 5)];
    expect(landedObjectsToPrune(objects, '2025-03', 'current', now)).toEqual([]);
  });

  test('never touches another month', () => {
    const other = { key: landingKey('2025-04', 'x'), lastModified: ago(100) };
    expect(landedObjectsToPrune([other, at('y', 50)], '2025-03', 'current', now)).toEqual([]);
  });

  test('an abandoned partial upload is not kept as the newest landed file', () => {
    const objects = [at('a', 8), at('b', 9, '.partial')];
    expect(landedObjectsToPrune(objects, '2025-03', 'current', now)).toEqual([
      `${landingKey('2025-03', 'b')}.partial`,
    ]);
  });
});
