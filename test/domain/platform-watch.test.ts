// The watch's decisions, as pure functions: which components to restart, and since when each one fails.
import {
  componentsToRestart,
  DEFAULT_WATCH_SETTINGS,
  trackFailing,
  watchSettings,
  type ComponentCheck,
} from '../../domain/platform-watch';

const check = (component: ComponentCheck['component'], condition: ComponentCheck['condition']) => ({
  component,
  condition,
  detail: condition,
});

describe('trackFailing', () => {
  test('starts the clock on the first failing check and keeps it while the component keeps failing', () => {
    const first = trackFailing([check('trino', 'failing'), check('nessie', 'healthy')], {}, 1000);
    expect(first).toEqual({ trino: 1000 });
    expect(trackFailing([check('trino', 'failing')], first, 11_000)).toEqual({ trino: 1000 });
  });

  test('a healthy or down check clears it', () => {
    expect(trackFailing([check('trino', 'healthy')], { trino: 1000 }, 2000)).toEqual({});
    expect(trackFailing([check('trino', 'down')], { trino: 1000 }, 2000)).toEqual({});
  });
});

describe('componentsToRestart', () => {
  test('a down component at once, whatever its history', () => {
    expect(componentsToRestart([check('objectstore', 'down')], {}, 5000, 120)).toEqual([
      { component: 'objectstore', reason: 'down', detail: 'down' },
    ]);
  });

  test('a failing one only once it has failed for the grace time', () => {
    const since = { trino: 0 };
    expect(componentsToRestart([check('trino', 'failing')], since, 119_999, 120)).toEqual([]);
    expect(componentsToRestart([check('trino', 'failing')], since, 120_000, 120)).toEqual([
      { component: 'trino', reason: 'failing', detail: 'failing' },
    ]);
  });

  test('healthy ones never', () => {
    expect(componentsToRestart([check('kafka', 'healthy')], { kafka: 0 }, 10 ** 9, 120)).toEqual([]);
  });

  test('one that is off (the stream job nobody started) never, and it never counts as failing', () => {
    expect(componentsToRestart([check('flink', 'off')], { flink: 0 }, 10 ** 9, 120)).toEqual([]);
    expect(trackFailing([check('flink', 'off')], { flink: 0 }, 1000)).toEqual({});
  });

  test('the stream job when it is down, like any other', () => {
    expect(componentsToRestart([check('flink', 'down')], {}, 0, 120)).toEqual([
      { component: 'flink', reason: 'down', detail: 'down' },
    ]);
  });
});

describe('watchSettings', () => {
  test('defaults: every managed component and the stream job, 10 s rounds, 2 min grace, bounded restarts', () => {
    expect(watchSettings({})).toEqual(DEFAULT_WATCH_SETTINGS);
    expect(DEFAULT_WATCH_SETTINGS.components).toEqual(['objectstore', 'nessie', 'trino', 'kafka', 'flink']);
    expect(DEFAULT_WATCH_SETTINGS.probeIntervalSeconds).toBe(10);
    expect(DEFAULT_WATCH_SETTINGS.failingGraceSeconds).toBe(120);
  });

  test('refuses bad settings, naming the setting and the value', () => {
    expect(() => watchSettings({ roundsPerRun: 1.5 })).toThrow(
      'platformWatch: roundsPerRun must be a positive integer, got 1.5.',
    );
    expect(() => watchSettings({ failingGraceSeconds: -1 })).toThrow(/failingGraceSeconds .* got -1/);
    expect(() => watchSettings({ components: [] })).toThrow('platformWatch: no components to watch.');
    expect(() => watchSettings({ components: ['trino', 'airflow' as never] })).toThrow(
      /unknown component\(s\) airflow; use some of objectstore, nessie, trino, kafka/,
    );
  });
});
