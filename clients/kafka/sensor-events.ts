// Synthetic temperature sensors: each has its own baseline, a daily cycle, a slow mean-reverting drift and
// measurement noise. Seeded: the same seed, sensor count and event times give the same readings.

export interface SensorEvent {
  sensor_id: string;
  /** Degrees Celsius, two decimals. */
  temperature: number;
  /** ISO-8601 UTC with milliseconds. */
  event_time: string;
}

/** The ranges the generator keeps every reading in; tests check them. */
export const SENSOR_MODEL = {
  /** Each sensor's baseline is drawn uniformly from this range (indoor and sheltered outdoor sensors). */
  baselineMin: 16,
  baselineMax: 26,
  /** Amplitude of the daily cycle (warmest mid-afternoon in the sensor's own phase). */
  dailyAmplitude: 1.5,
  /** The drift is an Ornstein-Uhlenbeck walk: pulled back to 0 by this fraction per reading... */
  driftReversion: 0.01,
  /** ...pushed by Gaussian steps of this standard deviation... */
  driftStep: 0.05,
  /** ...and never beyond this. */
  maxDrift: 3,
  /** Measurement noise: Gaussian, cut at maxNoise (4 standard deviations). */
  noiseStdDev: 0.15,
  maxNoise: 0.6,
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** mulberry32: a small, fast 32-bit PRNG; uniform in [0, 1). */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample (Box-Muller). */
function gaussian(rng: () => number): number {
  const u = 1 - rng(); // (0, 1]: log(0) is never taken
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const clamp = (x: number, limit: number) => Math.max(-limit, Math.min(limit, x));

/** sensor-001, sensor-002, ... (more digits past 999). */
export function sensorId(index: number): string {
  return `sensor-${String(index + 1).padStart(3, '0')}`;
}

interface SensorState {
  id: string;
  baseline: number;
  /** Hour of the day (UTC) at which the daily cycle peaks. */
  peakHour: number;
  drift: number;
  rng: () => number;
}

export interface SensorGeneratorOptions {
  sensors: number;
  seed?: number;
}

/**
 * Readings round-robin over the sensors: reading k comes from sensor k mod N. Each sensor has its own
 * random stream (derived from the seed and its index), so one sensor's readings do not depend on N.
 */
export class SensorEventGenerator {
  private readonly states: SensorState[];
  private cursor = 0;

  constructor(options: SensorGeneratorOptions) {
    if (!Number.isInteger(options.sensors) || options.sensors < 1) {
      throw new Error(`The number of sensors must be a whole number of at least 1, not ${options.sensors}.`);
    }
    const seed = options.seed ?? 42;
    this.states = Array.from({ length: options.sensors }, (_, i) => {
      const rng = createRng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + i * 0x27d4eb2f);
      const m = SENSOR_MODEL;
      return {
        id: sensorId(i),
        baseline: m.baselineMin + rng() * (m.baselineMax - m.baselineMin),
        peakHour: 13 + rng() * 4,
        drift: 0,
        rng,
      };
    });
  }

  get sensorIds(): string[] {
    return this.states.map((s) => s.id);
  }

  /** The sensor's baseline temperature (readings stay within the model's bounds around it). */
  baseline(id: string): number {
    const state = this.states.find((s) => s.id === id);
    if (!state) throw new Error(`No sensor ${id}`);
    return state.baseline;
  }

  /** The next reading, taken at `timeMs` (milliseconds since the epoch). */
  next(timeMs: number): SensorEvent {
    const state = this.states[this.cursor];
    this.cursor = (this.cursor + 1) % this.states.length;
    const m = SENSOR_MODEL;
    state.drift = clamp(state.drift * (1 - m.driftReversion) + m.driftStep * gaussian(state.rng), m.maxDrift);
    const noise = clamp(m.noiseStdDev * gaussian(state.rng), m.maxNoise);
    const hour = (((timeMs % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000;
    const daily = m.dailyAmplitude * Math.cos((2 * Math.PI * (hour - state.peakHour)) / 24);
    const temperature = Math.round((state.baseline + daily + state.drift + noise) * 100) / 100;
    return { sensor_id: state.id, temperature, event_time: new Date(timeMs).toISOString() };
  }
}

/** The Kafka record of a reading: keyed by sensor id, JSON value with the fields in a fixed order. */
export function encodeEvent(event: SensorEvent): { key: string; value: string } {
  return {
    key: event.sensor_id,
    value: JSON.stringify({
      sensor_id: event.sensor_id,
      temperature: event.temperature,
      event_time: event.event_time,
    }),
  };
}
