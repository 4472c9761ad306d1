// Helpers shared by the ELT benchmark's modules: rounding, waiting, logging, time intervals.

export const round = (n: number, digits = 2) => Number(n.toFixed(digits));
export { sleep } from '../../lib/time';

export function log(message: string): void {
  process.stderr.write(`[bench elt] ${message}\n`);
}

export type Interval = [start: number, end: number];

/** Total length covered by a set of intervals (overlaps counted once). */
export function unionLength(intervals: Interval[]): number {
  const sorted = intervals.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: Interval | undefined;
  for (const [start, end] of sorted) {
    if (current && start <= current[1]) current[1] = Math.max(current[1], end);
    else {
      if (current) total += current[1] - current[0];
      current = [start, end];
    }
  }
  return current ? total + current[1] - current[0] : total;
}

/** The parts of `intervals` that fall inside [from, to]. */
export function clip(intervals: Interval[], from: number, to: number): Interval[] {
  return intervals.map(([s, e]): Interval => [Math.max(s, from), Math.min(e, to)]).filter(([s, e]) => e > s);
}
