// What a stream round sends and expects, computed here without the job's code: known readings for a few
// sensors over several minutes (one partition per sensor, in order), cut into parts by event time, and the
// 1-minute windows a correct job writes for them. Also the comparison of the table's rows with those windows.
// Pure: no I/O.
import { createRng } from '../clients/kafka/sensor-events';
import {
  expectedWindows,
  WINDOW_MS as MINUTE,
  type Reading,
  type WindowRow,
} from '../test/support/reference-windows';
import { STREAM_PARTS } from './plan';

export type { Reading, WindowRow };

/** The job's bounded out-of-orderness in stream rounds (set for the round's job). */
export const STREAM_OUT_OF_ORDERNESS_MS = 5_000;
/** Sensors of a round, each on a partition of its own. */
export const STREAM_SENSORS = 4;
/** Minutes of readings: every one of them is closed by the last readings. */
export const STREAM_MINUTES = 6;
/** A fixed first minute: windows are [BASE + k min, BASE + (k+1) min). */
export const STREAM_BASE_MS = Date.UTC(2026, 0, 20, 12, 0, 0);

/**
 * The readings of a round, per partition in the order sent: sensor p every 6 + p seconds from BASE + p * 300 ms
 * over STREAM_MINUTES minutes, and one last reading per sensor 5 s after them, whose watermark
 * (newest - out-of-orderness - 1 ms) closes the last minute. Temperatures from the seed, to 0.01 °C.
 */
export function streamReadings(prefix: string, seed: number): Reading[][] {
  const random = createRng(seed);
  const end = STREAM_BASE_MS + STREAM_MINUTES * MINUTE;
  return Array.from({ length: STREAM_SENSORS }, (_, p) => {
    const sensor = `${prefix}-s${p + 1}`;
    const temperature = () => Math.round((15 + p * 2 + random() * 10) * 100) / 100;
    const own: Reading[] = [];
    for (let t = STREAM_BASE_MS + p * 300; t < end; t += 6_000 + p * 1_000)
      own.push({ sensor, partition: p, t, temperature: temperature() });
    own.push({ sensor, partition: p, t: end + STREAM_OUT_OF_ORDERNESS_MS, temperature: temperature() });
    return own;
  });
}

/** The readings cut into STREAM_PARTS parts by event time (equal spans), each part over every partition. */
export function streamParts(partitions: Reading[][]): Reading[][] {
  const span = (STREAM_MINUTES * MINUTE) / STREAM_PARTS;
  return Array.from({ length: STREAM_PARTS }, (_, k) =>
    partitions.flatMap((own) =>
      own.filter((r) => {
        const part = Math.min(STREAM_PARTS - 1, Math.floor((r.t - STREAM_BASE_MS) / span));
        return part === k;
      }),
    ),
  );
}

/** The windows a correct job writes for a round's readings (all in order: none late). */
export function expectedRoundWindows(readings: readonly Reading[]): WindowRow[] {
  return expectedWindows(readings, { outOfOrdernessMs: STREAM_OUT_OF_ORDERNESS_MS });
}

export interface WindowComparison {
  /** Expected windows missing from the table, or there with other values. */
  lost: number;
  /** Rows beyond the first for a window (window_start, sensor_id). */
  duplicates: number;
  /** Rows for windows that should not be there. */
  unexpected: number;
  /** A few of the differences, for the round's notes. */
  notes: string[];
}

/** Values compared to a millionth (the job sums in arrival order, this module in its own). */
const rounded = (x: number) => Math.round(x * 1e6) / 1e6;
function sameValues(a: WindowRow, b: WindowRow): boolean {
  return (
    a.window_end === b.window_end &&
    a.event_count === b.event_count &&
    rounded(a.avg_temperature) === rounded(b.avg_temperature) &&
    rounded(a.min_temperature) === rounded(b.min_temperature) &&
    rounded(a.max_temperature) === rounded(b.max_temperature)
  );
}

export function compareWindows(
  actual: readonly WindowRow[],
  expected: readonly WindowRow[],
): WindowComparison {
  const key = (w: WindowRow) => `${new Date(w.window_start).toISOString()} ${w.sensor_id}`;
  const rowsByKey = new Map<string, WindowRow[]>();
  for (const row of actual) rowsByKey.set(key(row), [...(rowsByKey.get(key(row)) ?? []), row]);
  const expectedKeys = new Set(expected.map(key));
  const notes: string[] = [];
  let lost = 0;
  for (const want of expected) {
    const rows = rowsByKey.get(key(want)) ?? [];
    if (rows.length === 0) {
      lost++;
      notes.push(`window ${key(want)} missing`);
    } else if (!rows.some((row) => sameValues(row, want))) {
      lost++;
      notes.push(
        `window ${key(want)}: ${rows[0].event_count} readings, avg ${rows[0].avg_temperature}; ` +
          `expected ${want.event_count}, avg ${rounded(want.avg_temperature)}`,
      );
    }
  }
  let duplicates = 0;
  let unexpected = 0;
  for (const [k, rows] of rowsByKey) {
    if (rows.length > 1) {
      duplicates += rows.length - 1;
      notes.push(`window ${k} there ${rows.length} times`);
    }
    if (!expectedKeys.has(k)) {
      unexpected += rows.length;
      notes.push(`window ${k} not expected`);
    }
  }
  return { lost, duplicates, unexpected, notes };
}

/** Whether the table holds exactly the expected windows, once each. */
export function exact(comparison: WindowComparison): boolean {
  return comparison.lost === 0 && comparison.duplicates === 0 && comparison.unexpected === 0;
}
