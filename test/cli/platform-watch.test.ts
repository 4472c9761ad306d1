// How `dp status` prints the platform watch: running or not, what it is restarting, its recent restarts.
import { formatWatchStatus } from '../../cli/platform-watch';
import type { WatchRestart } from '../../domain/platform-watch';

const restart = (component: WatchRestart['component'], at: string, seconds?: number): WatchRestart => ({
  component,
  reason: 'down',
  detail: 'not serving: fetch failed',
  at,
  outcome: seconds === undefined ? 'failed' : 'started',
  ...(seconds === undefined ? {} : { secondsToHealthy: seconds }),
  result: seconds === undefined ? 'Trino exited during start-up' : 'coordinator ready (pid 7)',
});

describe('formatWatchStatus', () => {
  test('a watch that is not running says why, and lists nothing', () => {
    expect(
      formatWatchStatus({ running: false, detail: 'Temporal not reachable: refused', restarts: [] }),
    ).toBe('watch: NOT running (Temporal not reachable: refused)');
  });

  test('the most recent restarts, oldest first, with the time to healthy where there is one', () => {
    const text = formatWatchStatus(
      {
        running: true,
        detail: 'watching since 2026-01-01T00:00:00.000Z, 42 probe rounds',
        restarting: ['nessie'],
        restarts: [
          restart('kafka', '2026-01-01T00:01:00.000Z', 20),
          restart('trino', '2026-01-01T00:02:00.000Z'),
          restart('trino', '2026-01-01T00:03:00.000Z', 75),
        ],
      },
      2,
    );
    expect(text.split('\n')).toEqual([
      'watch: running (watching since 2026-01-01T00:00:00.000Z, 42 probe rounds)',
      '  restarting now: nessie',
      '  recent restarts (2 of 3):',
      '    2026-01-01T00:02:00.000Z  trino  down (not serving: fetch failed) -> failed',
      '    2026-01-01T00:03:00.000Z  trino  down (not serving: fetch failed) -> started, healthy after 75 s',
    ]);
  });
});
