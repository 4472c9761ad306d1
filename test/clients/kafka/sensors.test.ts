// The sensor reading generator behind `dp sensors produce`: record format, determinism, value bounds.
import {
  createRng,
  encodeEvent,
  SENSOR_MODEL,
  SensorEventGenerator,
  sensorId,
  type SensorEvent,
} from '../../../clients/kafka/sensor-events';
import { parseDuration, parseRate } from '../../../cli/sensors';

const START = Date.parse('2026-11-25T18:59:01.123Z');

function run(sensors: number, seed: number, count: number, stepMs = 100): SensorEvent[] {
  const generator = new SensorEventGenerator({ sensors, seed });
  return Array.from({ length: count }, (_, k) => generator.next(START + k * stepMs));
}

describe('createRng (mulberry32)', () => {
  it('gives the algorithm’s first outputs for seed 1 (computed apart, in Python with 32-bit masks)', () => {
    const random = createRng(1);
    // As unsigned 32-bit integers; the first is the often quoted 0.6270739405881613.
    expect([random(), random(), random()].map((x) => x * 4294967296)).toEqual([
      2693262067, 11749833, 2265367787,
    ]);
  });

  it('repeats for the same seed and differs for another, always in [0, 1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const fromA = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(fromA);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(fromA);
    expect(fromA.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('sensor readings', () => {
  test('are JSON records keyed by sensor id with the documented fields', () => {
    const [event] = run(17, 1, 1);
    expect(event.sensor_id).toBe('sensor-001');
    expect(event.event_time).toBe('2026-11-25T18:59:01.123Z');
    expect(Number.isFinite(event.temperature)).toBe(true);
    // Two decimals at most.
    expect(Math.round(event.temperature * 100) / 100).toBe(event.temperature);
    const { key, value } = encodeEvent(event);
    expect(key).toBe('sensor-001');
    expect(Object.keys(JSON.parse(value))).toEqual(['sensor_id', 'temperature', 'event_time']);
    expect(JSON.parse(value)).toEqual(event);
    expect(value).toMatch(
      /^\{"sensor_id":"sensor-001","temperature":-?\d+(\.\d{1,2})?,"event_time":"[^"]+Z"\}$/,
    );
  });

  test('cycle over the sensors, with zero-padded ids', () => {
    const events = run(17, 1, 35);
    expect(events.slice(0, 17).map((e) => e.sensor_id)).toEqual(
      Array.from({ length: 17 }, (_, i) => `sensor-${String(i + 1).padStart(3, '0')}`),
    );
    expect(events[16].sensor_id).toBe('sensor-017');
    expect(events[17].sensor_id).toBe('sensor-001');
    expect(sensorId(999)).toBe('sensor-1000');
  });

  test('are the same for the same seed and differ for another seed', () => {
    expect(run(5, 7, 500)).toEqual(run(5, 7, 500));
    const other = run(5, 8, 500);
    expect(other.map((e) => e.temperature)).not.toEqual(run(5, 7, 500).map((e) => e.temperature));
    // A sensor's own readings do not depend on how many other sensors there are.
    const firstOfFive = run(5, 7, 50).filter((e) => e.sensor_id === 'sensor-001');
    const firstOfTen = new SensorEventGenerator({ sensors: 10, seed: 7 });
    const ownReadings = firstOfFive.map((_, i) => {
      const event = firstOfTen.next(START + i * 5 * 100);
      for (let j = 1; j < 10; j++) firstOfTen.next(0);
      return event;
    });
    expect(ownReadings.map((e) => e.temperature)).toEqual(firstOfFive.map((e) => e.temperature));
    const rng = createRng(3);
    const draws = Array.from({ length: 1000 }, rng);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });

  test('stay within baseline +- daily cycle, drift and noise, and do drift and vary', () => {
    const sensors = 20;
    const generator = new SensorEventGenerator({ sensors, seed: 11 });
    const m = SENSOR_MODEL;
    const bound = m.dailyAmplitude + m.maxDrift + m.maxNoise + 0.005;
    const bySensor = new Map<string, number[]>();
    // Two simulated days, one reading per sensor a minute.
    let worst = 0;
    for (let k = 0; k < sensors * 2 * 24 * 60; k++) {
      const e = generator.next(START + Math.floor(k / sensors) * 60_000);
      worst = Math.max(worst, Math.abs(e.temperature - generator.baseline(e.sensor_id)));
      let readings = bySensor.get(e.sensor_id);
      if (!readings) bySensor.set(e.sensor_id, (readings = []));
      readings.push(e.temperature);
    }
    expect(worst).toBeLessThanOrEqual(bound);
    for (const id of generator.sensorIds) {
      expect(generator.baseline(id)).toBeGreaterThanOrEqual(m.baselineMin);
      expect(generator.baseline(id)).toBeLessThanOrEqual(m.baselineMax);
    }
    for (const readings of bySensor.values()) {
      // Consecutive readings a minute apart differ by noise and a drift step, not by jumps.
      const steps = readings.slice(1).map((t, i) => Math.abs(t - readings[i]));
      expect(Math.max(...steps)).toBeLessThan(2 * m.maxNoise + 0.5);
      // Noise and drift make the series vary, and the day's cycle spans more than the noise alone.
      expect(new Set(readings).size).toBeGreaterThan(100);
      expect(Math.max(...readings) - Math.min(...readings)).toBeGreaterThan(2 * m.maxNoise);
    }
    // Sensors differ from one another.
    const means = [...bySensor.values()].map((r) => r.reduce((a, b) => a + b, 0) / r.length);
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(2);
  });

  test('reject a sensor count below one', () => {
    expect(() => new SensorEventGenerator({ sensors: 0 })).toThrow(/at least 1/);
  });
});

describe('dp sensors produce arguments', () => {
  test('rates and durations', () => {
    expect(parseRate('200/s')).toBe(200);
    expect(parseRate('12.5')).toBe(12.5);
    expect(() => parseRate('0/s')).toThrow(/above 0/);
    expect(() => parseRate('fast')).toThrow(/Invalid rate/);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('2')).toBe(2000);
    expect(() => parseDuration('soon')).toThrow(/Invalid duration/);
  });
});
