// The reference windows the stream tests and the catch-up benchmark compare the job's table with: checked
// against windows worked out by hand.
import { expectedWindows, WindowAccumulator, WINDOW_MS, type Reading } from '../support/reference-windows';

const B = Date.UTC(2026, 0, 15, 10, 0, 0);
const at = (sensor: string, partition: number, seconds: number, temperature: number): Reading => ({
  sensor,
  partition,
  t: B + seconds * 1000,
  temperature,
});

describe('reference windows', () => {
  const readings = [
    at('a', 0, 1, 20),
    at('a', 0, 30, 22.5),
    at('b', 1, 59.999, 10),
    at('a', 0, 61, 30),
    at('b', 1, 62, 11),
    // newest per partition: a at 130 s, b at 125 s: the watermark is B + 119.999 s, minute 1's last millisecond
    at('a', 0, 130, 25),
    at('b', 1, 125, 12),
  ];

  test('windows closed by the lowest partition watermark, with count, average, min and max', () => {
    const accumulator = new WindowAccumulator();
    for (const r of readings) accumulator.add(r);
    expect(accumulator.watermark(5_000)).toBe(B + 119_999);
    expect(accumulator.windows(5_000)).toEqual([
      {
        window_start: B,
        window_end: B + WINDOW_MS,
        sensor_id: 'a',
        avg_temperature: 21.25,
        min_temperature: 20,
        max_temperature: 22.5,
        event_count: 2,
      },
      {
        window_start: B,
        window_end: B + WINDOW_MS,
        sensor_id: 'b',
        avg_temperature: 10,
        min_temperature: 10,
        max_temperature: 10,
        event_count: 1,
      },
      {
        window_start: B + WINDOW_MS,
        window_end: B + 2 * WINDOW_MS,
        sensor_id: 'a',
        avg_temperature: 30,
        min_temperature: 30,
        max_temperature: 30,
        event_count: 1,
      },
      {
        window_start: B + WINDOW_MS,
        window_end: B + 2 * WINDOW_MS,
        sensor_id: 'b',
        avg_temperature: 11,
        min_temperature: 11,
        max_temperature: 11,
        event_count: 1,
      },
    ]);
    // One millisecond less on partition 1 and minute 1 is still open.
    const earlier = new WindowAccumulator();
    for (const r of readings.slice(0, -1)) earlier.add(r);
    earlier.add(at('b', 1, 124.999, 12));
    expect(earlier.windows(5_000).map((w) => w.window_start)).toEqual([B, B]);
  });

  test('a late reading moves its partition on but is in no window', () => {
    const late = at('a', 0, 10, 99);
    const windows = expectedWindows([...readings, late], { outOfOrdernessMs: 5_000, late: [late] });
    expect(windows.find((w) => w.window_start === B && w.sensor_id === 'a')?.event_count).toBe(2);
    expect(expectedWindows([...readings, late], { outOfOrdernessMs: 5_000 })[0].event_count).toBe(3);
  });
});
