import { pollUntil, sleep } from '../../lib/time';

/** A clock that only moves when the poller sleeps. */
function fakeClock() {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

describe('pollUntil', () => {
  test('returns the first value the check gives, checking at once and then every interval', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await pollUntil(() => (++calls === 3 ? 'ready' : undefined), {
      timeoutMs: 10_000,
      intervalMs: 1000,
      ...clock,
    });
    expect(result).toBe('ready');
    expect(calls).toBe(3);
    expect(clock.waits).toEqual([1000, 1000]);
  });

  test('false means not yet, like undefined', async () => {
    const clock = fakeClock();
    const answers = [false, undefined, true];
    await expect(
      pollUntil(() => answers.shift(), { timeoutMs: 10_000, intervalMs: 5, ...clock }),
    ).resolves.toBe(true);
  });

  test('gives undefined once the timeout passed, reporting each wait', async () => {
    const clock = fakeClock();
    const waited: number[] = [];
    const result = await pollUntil(() => undefined, {
      timeoutMs: 3000,
      intervalMs: 1000,
      onWait: (ms) => waited.push(ms),
      ...clock,
    });
    expect(result).toBeUndefined();
    expect(waited).toEqual([0, 1000, 2000]);
  });

  test('an error from the check ends the wait', async () => {
    await expect(
      pollUntil(
        () => {
          throw new Error('exited');
        },
        { timeoutMs: 1000, intervalMs: 10 },
      ),
    ).rejects.toThrow('exited');
  });
});

describe('sleep', () => {
  test('an abort ends it early', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pause = sleep(10_000, controller.signal);
    controller.abort();
    await pause;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
