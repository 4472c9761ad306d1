// The watch's activities on the stream job: off while nobody wants it, down when wanted and gone, and
// restarted through the driver's stream-job restart (a fake driver: the real one is exercised by
// test/platform/local/platform-watch.integration.test.ts).
import { createPlatformWatchActivities } from '../../activities/platform-watch';
import type { PlatformDriver, StreamJobState } from '../../platform/driver';

function fakeDriver(state: StreamJobState | undefined): PlatformDriver & { streamStarts: number } {
  const driver = {
    target: 'local' as const,
    streamStarts: 0,
    probe: (component: string) => Promise.resolve({ component, healthy: true, detail: 'ok' }),
    ensureRunning: () => Promise.reject(new Error('not expected')),
    endpoints: () => {
      throw new Error('not expected');
    },
  } as unknown as PlatformDriver & { streamStarts: number };
  if (state) {
    driver.streamJobState = () => Promise.resolve(state);
    driver.ensureStreamJob = () => {
      driver.streamStarts++;
      return Promise.resolve({ action: 'started' as const, detail: 'job RUNNING' });
    };
  }
  return driver;
}

describe('platform watch activities: the stream job', () => {
  test('not wanted: off (never restarted), whether it runs or not', async () => {
    for (const running of [false, true]) {
      const activities = createPlatformWatchActivities(
        fakeDriver({ wanted: false, running, detail: 'not started' }),
      );
      expect(await activities.checkComponents(['flink'])).toEqual([
        { component: 'flink', condition: 'off', detail: 'not started' },
      ]);
    }
  });

  test('wanted: healthy while it runs, down once it is gone', async () => {
    const up = createPlatformWatchActivities(fakeDriver({ wanted: true, running: true, detail: 'pid 1' }));
    expect((await up.checkComponents(['flink']))[0].condition).toBe('healthy');
    const gone = createPlatformWatchActivities(fakeDriver({ wanted: true, running: false, detail: 'gone' }));
    expect((await gone.checkComponents(['flink', 'trino'])).map((c) => c.condition)).toEqual([
      'down',
      'healthy',
    ]);
  });

  test("a driver that does not run the job: off, and a restart is refused as the operator's matter", async () => {
    const activities = createPlatformWatchActivities(fakeDriver(undefined));
    expect((await activities.checkComponents(['flink']))[0].condition).toBe('off');
    await expect(activities.restartComponent('flink')).rejects.toThrow(/does not run the stream job/);
  });

  test('a restart of the stream job goes to the driver', async () => {
    const driver = fakeDriver({ wanted: true, running: false, detail: 'gone' });
    const activities = createPlatformWatchActivities(driver);
    expect(await activities.restartComponent('flink')).toEqual({ action: 'started', detail: 'job RUNNING' });
    expect(driver.streamStarts).toBe(1);
  });
});
