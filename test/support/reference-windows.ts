// The 1-minute windows a correct stream job writes, computed from the readings without the job's code, and the
// table's rows read back in the same shape: shared by the stream tests and the chaos harness's stream rounds.
// Pure apart from windowRowsSql's text, which the caller runs.

export const WINDOW_MS = 60_000;

/** A sensor reading as sent: each sensor on a partition of its own. */
export interface Reading {
  sensor: string;
  partition: number;
  t: number;
  temperature: number;
}

export interface WindowRow {
  window_start: number;
  window_end: number;
  sensor_id: string;
  avg_temperature: number;
  min_temperature: number;
  max_temperature: number;
  event_count: number;
}

/** The record value the job reads (the `sensor-topic` contract). */
export function readingJson(r: Reading): string {
  return JSON.stringify({
    sensor_id: r.sensor,
    temperature: r.temperature,
    event_time: new Date(r.t).toISOString(),
  });
}

/** A topic record back as a reading. */
export function readingOfRecord(record: { partition: number; value: string }): Reading {
  const e = JSON.parse(record.value) as { sensor_id: string; temperature: number; event_time: string };
  return {
    sensor: e.sensor_id,
    partition: record.partition,
    t: Date.parse(e.event_time),
    temperature: e.temperature,
  };
}

export const byWindowKey = (a: WindowRow, b: WindowRow) =>
  a.window_start - b.window_start || a.sensor_id.localeCompare(b.sensor_id);

/**
 * The same windows built one reading at a time, without keeping the readings: for streams too long to hold in
 * memory (the catch-up benchmark's millions). Sums in the order readings are added, as `expectedWindows` does.
 */
export class WindowAccumulator {
  private readonly newest = new Map<number, number>();
  private readonly groups = new Map<
    string,
    { start: number; sensor: string; count: number; sum: number; min: number; max: number }
  >();

  /** A reading as sent; a `late` one moves its partition's newest event time but is in no window. */
  add(r: Reading, late = false): void {
    this.newest.set(r.partition, Math.max(this.newest.get(r.partition) ?? -Infinity, r.t));
    if (late) return;
    const start = Math.floor(r.t / WINDOW_MS) * WINDOW_MS;
    const key = `${start}|${r.sensor}`;
    const group = this.groups.get(key);
    if (group === undefined) {
      this.groups.set(key, {
        start,
        sensor: r.sensor,
        count: 1,
        sum: r.temperature,
        min: r.temperature,
        max: r.temperature,
      });
      return;
    }
    group.count++;
    group.sum += r.temperature;
    group.min = Math.min(group.min, r.temperature);
    group.max = Math.max(group.max, r.temperature);
  }

  /** The final watermark: the lowest over partitions of newest event time - out-of-orderness - 1 ms. */
  watermark(outOfOrdernessMs: number): number {
    return Math.min(...this.newest.values()) - outOfOrdernessMs - 1;
  }

  /** Every window whose last millisecond the final watermark has reached, sorted by window and sensor. */
  windows(outOfOrdernessMs: number): WindowRow[] {
    const watermark = this.watermark(outOfOrdernessMs);
    return [...this.groups.values()]
      .filter((g) => g.start + WINDOW_MS - 1 <= watermark)
      .map((g) => ({
        window_start: g.start,
        window_end: g.start + WINDOW_MS,
        sensor_id: g.sensor,
        avg_temperature: g.sum / g.count,
        min_temperature: g.min,
        max_temperature: g.max,
        event_count: g.count,
      }))
      .sort(byWindowKey);
  }
}

/**
 * The windows per sensor and minute over the readings that are not `late`, for every window whose last
 * millisecond the final watermark (the lowest over partitions of newest event time - out-of-orderness - 1 ms)
 * has reached. Sorted by window and sensor.
 */
export function expectedWindows(
  readings: readonly Reading[],
  options: { outOfOrdernessMs: number; late?: readonly Reading[] },
): WindowRow[] {
  const isLate = new Set(options.late ?? []);
  const accumulator = new WindowAccumulator();
  for (const r of readings) accumulator.add(r, isLate.has(r));
  return accumulator.windows(options.outOfOrdernessMs);
}

/** Rows as compared: the average to a millionth (the job sums in arrival order, the tests in their own). */
export const comparableWindows = (rows: readonly WindowRow[]) =>
  rows.map((r) => ({ ...r, avg_temperature: Math.round(r.avg_temperature * 1e6) / 1e6 }));

/** The query reading a window table's rows as WindowRow fields; `table` must already be a checked name. */
export function windowRowsSql(table: string): string {
  return `select cast(to_unixtime(window_start) * 1000 as bigint) as window_start,
            cast(to_unixtime(window_end) * 1000 as bigint) as window_end,
            sensor_id, avg_temperature, min_temperature, max_temperature, event_count
     from ${table}`;
}

export function windowRowOf(r: Record<string, unknown>): WindowRow {
  return {
    window_start: Number(r.window_start),
    window_end: Number(r.window_end),
    sensor_id: String(r.sensor_id),
    avg_temperature: Number(r.avg_temperature),
    min_temperature: Number(r.min_temperature),
    max_temperature: Number(r.max_temperature),
    event_count: Number(r.event_count),
  };
}
