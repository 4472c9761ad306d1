// What a chaos run reports: each round's verdict, the component x stage table and the one-line JSON summary.
// Pure: no I/O.
import { formatTable } from '../cli/format';
import { CHAOS_COMPONENTS, KILL_STAGES, STREAM_PARTS, type ChaosComponent } from './plan';

/**
 * published: the month ended on main (a stream round: the table holds exactly the expected windows) with the reference figures and nothing left behind.
 * clean failure: the month failed (or its component stayed dead) with main exactly as before.
 * dirty: an invariant broke (wrong or doubled rows, main moved by a failed run, a leaked branch, a hang).
 */
export type Verdict = 'published' | 'clean failure' | 'dirty';

export interface RoundResult {
  index: number;
  /** A month round (the default) or a stream round (Kafka or the stream job killed). */
  kind?: 'month' | 'stream';
  component: ChaosComponent;
  /** The stage the kill was planned for. */
  plannedStage: string;
  /** The stage the workflow was in when the kill happened ('ended' when it finished first). */
  killedAt: string;
  month: string;
  verdict: Verdict;
  /** Rows found more than once, over every layer of the month on main. */
  duplicates: number;
  /** Nessie branches and Trino catalogs of a published run still there after it. */
  leakedBranches: number;
  /** Stream rounds: expected windows missing from the table or there with other values. */
  lostWindows?: number;
  /** Seconds from the kill until the component was healthy again; undefined when it never was. */
  recoverySeconds?: number;
  /** Why the round is not 'published': the failure, or the invariants it broke. */
  notes: string[];
}

export interface ChaosSummary {
  injections: number;
  published: number;
  clean_failures: number;
  dirty: number;
  duplicates: number;
  leaked_branches: number;
  lost_windows: number;
  median_recovery_s: number | null;
  /** Rounds that killed Kafka or the stream job and checked the windows. */
  stream_rounds: number;
}

/** The median of the values (mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarize(rounds: readonly RoundResult[]): ChaosSummary {
  const count = (verdict: Verdict) => rounds.filter((r) => r.verdict === verdict).length;
  const recoveries = rounds.flatMap((r) => (r.recoverySeconds === undefined ? [] : [r.recoverySeconds]));
  const recovery = median(recoveries);
  return {
    injections: rounds.length,
    published: count('published'),
    clean_failures: count('clean failure'),
    dirty: count('dirty'),
    duplicates: rounds.reduce((sum, r) => sum + r.duplicates, 0),
    leaked_branches: rounds.reduce((sum, r) => sum + r.leakedBranches, 0),
    lost_windows: rounds.reduce((sum, r) => sum + (r.lostWindows ?? 0), 0),
    median_recovery_s: recovery === null ? null : Math.round(recovery * 10) / 10,
    stream_rounds: rounds.filter((r) => r.kind === 'stream').length,
  };
}

/** A table cell: how many rounds of each verdict, e.g. '1 published, 1 dirty'; '-' for none. */
function cell(rounds: readonly RoundResult[]): string {
  const verdicts: Verdict[] = ['published', 'clean failure', 'dirty'];
  const parts = verdicts.flatMap((verdict) => {
    const n = rounds.filter((r) => r.verdict === verdict).length;
    return n === 0 ? [] : [`${n} ${verdict}`];
  });
  return parts.length === 0 ? '-' : parts.join(', ');
}

/**
 * Rows: the components killed; columns: the stage the workflow was in at the kill (the planned one, or the
 * next it reached when the planned one went by between two looks), or for a stream round the part of the
 * readings after which it came. Only stages that saw a kill get a column.
 */
export function renderTable(rounds: readonly RoundResult[]): string {
  const streamMoments = Array.from({ length: STREAM_PARTS }, (_, i) => `after part ${i + 1}`);
  const stageOrder = [...KILL_STAGES, 'published', 'ended', ...streamMoments] as string[];
  const stages = [...new Set(rounds.map((r) => r.killedAt))].sort(
    (a, b) => rankOf(stageOrder, a) - rankOf(stageOrder, b),
  );
  const components = CHAOS_COMPONENTS.filter((c) => rounds.some((r) => r.component === c));
  return formatTable(
    ['component', ...stages],
    components.map((component) => [
      component,
      ...stages.map((stage) => cell(rounds.filter((r) => r.component === component && r.killedAt === stage))),
    ]),
  );
}

function rankOf(order: readonly string[], stage: string): number {
  const rank = order.indexOf(stage);
  return rank === -1 ? order.length : rank;
}

/** One line per round: what was killed where, the verdict and, for any but a clean publish, why. */
export function renderRounds(rounds: readonly RoundResult[]): string {
  return formatTable(
    ['round', 'month', 'component', 'planned stage', 'killed at', 'recovery', 'verdict', 'notes'],
    rounds.map((r) => [
      String(r.index),
      r.month,
      r.component,
      r.plannedStage,
      r.killedAt,
      r.recoverySeconds === undefined ? 'never' : `${r.recoverySeconds.toFixed(1)} s`,
      r.verdict,
      r.notes.join('; '),
    ]),
  );
}
