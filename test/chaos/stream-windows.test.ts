// The stream round's readings and expected windows, checked against figures worked out here by hand.
import { STREAM_PARTS } from '../../chaos/plan';
import {
  compareWindows,
  exact,
  expectedRoundWindows,
  STREAM_BASE_MS,
  STREAM_MINUTES,
  STREAM_SENSORS,
  streamParts,
  streamReadings,
  type Reading,
  type WindowRow,
} from '../../chaos/stream-windows';

const MINUTE = 60_000;
const B = STREAM_BASE_MS;

describe('streamReadings', () => {
  const partitions = streamReadings('r1', 42);

  it('one partition per sensor, in event-time order, over the minutes and one closing reading each', () => {
    expect(partitions).toHaveLength(STREAM_SENSORS);
    partitions.forEach((own, p) => {
      expect(new Set(own.map((r) => r.partition))).toEqual(new Set([p]));
      expect(new Set(own.map((r) => r.sensor))).toEqual(new Set([`r1-s${p + 1}`]));
      const times = own.map((r) => r.t);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]).toBe(B + p * 300);
      expect(times[times.length - 1]).toBe(B + STREAM_MINUTES * MINUTE + 5_000);
      // Sensor p every 6 + p seconds: the count below the end, plus the closing one.
      expect(own).toHaveLength(Math.ceil((STREAM_MINUTES * MINUTE - p * 300) / (6_000 + p * 1_000)) + 1);
    });
  });

  it('is the same for the same seed, other temperatures for another', () => {
    expect(streamReadings('r1', 42)).toEqual(partitions);
    expect(
      streamReadings('r1', 43)
        .flat()
        .map((r) => r.temperature),
    ).not.toEqual(partitions.flat().map((r) => r.temperature));
  });
});

describe('streamParts', () => {
  it('cuts every partition by event time into equal spans; the closing readings go with the last part', () => {
    const partitions = streamReadings('r1', 1);
    const parts = streamParts(partitions);
    expect(parts).toHaveLength(STREAM_PARTS);
    expect(parts.flat()).toHaveLength(partitions.flat().length);
    const span = (STREAM_MINUTES * MINUTE) / STREAM_PARTS;
    parts.forEach((part, k) => {
      for (const r of part) {
        expect(r.t).toBeGreaterThanOrEqual(B + k * span);
        if (k < STREAM_PARTS - 1) expect(r.t).toBeLessThan(B + (k + 1) * span);
      }
      expect(new Set(part.map((r) => r.partition)).size).toBe(STREAM_SENSORS);
    });
  });
});

describe('expectedRoundWindows', () => {
  const reading = (partition: number, seconds: number, temperature: number): Reading => ({
    sensor: `s${partition}`,
    partition,
    t: B + seconds * 1000,
    temperature,
  });

  it('groups per sensor and minute, and keeps only the windows the lowest watermark has closed', () => {
    const readings = [
      reading(0, 1, 10),
      reading(0, 30, 20),
      reading(0, 61, 30),
      reading(0, 125, 40), // partition 0 newest: B+125 s
      reading(1, 2, 5),
      reading(1, 66, 7), // partition 1 newest: B+66 s, watermark B+61 s - 1 ms: only minute 0 is closed
    ];
    expect(expectedRoundWindows(readings)).toEqual([
      {
        window_start: B,
        window_end: B + MINUTE,
        sensor_id: 's0',
        avg_temperature: 15,
        min_temperature: 10,
        max_temperature: 20,
        event_count: 2,
      },
      {
        window_start: B,
        window_end: B + MINUTE,
        sensor_id: 's1',
        avg_temperature: 5,
        min_temperature: 5,
        max_temperature: 5,
        event_count: 1,
      },
    ]);
  });

  it('a minute closes exactly when the watermark reaches its last millisecond', () => {
    // Newest B+65 s: watermark B+65 s - 5 s - 1 ms = B+59.999 s, the last millisecond of minute 0.
    expect(expectedRoundWindows([reading(0, 10, 1), reading(0, 65, 2)])).toHaveLength(1);
    expect(expectedRoundWindows([reading(0, 10, 1), reading(0, 64.999, 2)])).toHaveLength(0);
  });

  it("a round's readings close every one of its minutes for every sensor", () => {
    const windows = expectedRoundWindows(streamReadings('r2', 5).flat());
    expect(windows).toHaveLength(STREAM_MINUTES * STREAM_SENSORS);
  });
});

describe('compareWindows', () => {
  const w = (minute: number, sensor: string, count: number, avg = 20): WindowRow => ({
    window_start: B + minute * MINUTE,
    window_end: B + (minute + 1) * MINUTE,
    sensor_id: sensor,
    avg_temperature: avg,
    min_temperature: avg - 1,
    max_temperature: avg + 1,
    event_count: count,
  });
  const expected = [w(0, 'a', 10), w(0, 'b', 8), w(1, 'a', 10)];

  it('exact: the same windows once each, averages equal to a millionth', () => {
    const actual = [w(1, 'a', 10), w(0, 'b', 8), { ...w(0, 'a', 10), avg_temperature: 20.0000001 }];
    const comparison = compareWindows(actual, expected);
    expect(comparison).toEqual({ lost: 0, duplicates: 0, unexpected: 0, notes: [] });
    expect(exact(comparison)).toBe(true);
  });

  it('a missing window and a wrong one are lost; a second copy is a duplicate; an extra one unexpected', () => {
    const actual = [w(0, 'a', 9), w(1, 'a', 10), w(1, 'a', 10), w(2, 'a', 3)];
    const comparison = compareWindows(actual, expected);
    expect({ ...comparison, notes: comparison.notes.length }).toEqual({
      lost: 2,
      duplicates: 1,
      unexpected: 1,
      notes: 4,
    });
    expect(comparison.notes.join('\n')).toMatch(/missing/);
    expect(exact(comparison)).toBe(false);
  });
});
