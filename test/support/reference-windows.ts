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
 * The windows per sensor and minute over the readings that are not `late`, for every window whose last
 * millisecond the final watermark (the lowest over partitions of newest event time - out-of-orderness - 1 ms)
 * has reached. Sorted by window and sensor.
 */
export function expectedWindows(
  readings: readonly Reading[],
  options: { outOfOrdernessMs: number; late?: readonly Reading[] },
): WindowRow[] {
  const isLate = new Set(options.late ?? []);
  const newest = new Map<number, number>();
  for (const r of readings) newest.set(r.partition, Math.max(newest.get(r.partition) ?? -Infinity, r.t));
  const watermark = Math.min(...newest.values()) - options.outOfOrdernessMs - 1;
  const groups = new Map<string, Reading[]>();
  for (const r of readings) {
    if (isLate.has(r)) continue;
    const start = Math.floor(r.t / WINDOW_MS) * WINDOW_MS;
    if (start + WINDOW_MS - 1 > watermark) continue;
    const key = `${start}|${r.sensor}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()]
    .map(([key, rs]) => {
      const start = Number(key.split('|')[0]);
      const temps = rs.map((r) => r.temperature);
      return {
        window_start: start,
        window_end: start + WINDOW_MS,
        sensor_id: rs[0].sensor,
        avg_temperature: temps.reduce((a, b) => a + b, 0) / temps.length,
        min_temperature: Math.min(...temps),
        max_temperature: Math.max(...temps),
        event_count: temps.length,
      };
    })
    .sort(byWindowKey);
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
