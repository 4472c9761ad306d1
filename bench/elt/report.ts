// The benchmark's report: the human-readable lines, then the summary as one JSON line.
import type { BronzeLoad, DbtOutcome, FetchOutcome, MonthlyYellowTripsResult } from '../../domain/elt';
import { workflowIdForMonth } from '../../domain/names';
import { bronzeSummaryLines, MONTH, ROWS, type BronzeSummary } from '../elt-bronze';
import type { ActivitySpan, HistoryFigures } from './history';
import type { TrinoQueryRecord } from './trino';

export const WORKFLOW_ID = workflowIdForMonth(MONTH);
export const TARGETS = { month_end_to_end_s: 60, bronze_pyiceberg_ratio: 0.5, worker_peak_rss_mib: 1536 };

const verdict = (ok: boolean | null) => (ok === null ? '-' : ok ? 'met' : 'MISSED');
const seconds = (n: number | null) => (n === null ? 'n/a' : `${n.toFixed(1)} s`);

/** The summary's figures the lines show (the whole summary is printed as JSON). */
interface ReportedSummary {
  bronze_append_s: number | null;
  pyiceberg_append_s: number | null;
  worker_peak_rss_mib: number;
  temporal_overhead_s: number;
  dbt_s: number | null;
  silver_s: number | null;
  gold_s: number | null;
  audit_s: number | null;
  published_on_main_s: number | null;
  temporal_overhead_in_history_s: number;
  activity_schedule_to_start_s: number;
  retried_attempts_and_backoff_s: number;
  workflow_task_s: number;
  client_overhead_s: number;
  worker_with_children_peak_rss_mib: number;
  worker_vmhwm_lifetime_mib: number | null;
  trino_heap_used_mib: { before: number | null; peak: number };
  targets_met: {
    month_end_to_end_s: boolean;
    bronze_pyiceberg_ratio: boolean | null;
    worker_peak_rss_mib: boolean;
  };
}

export interface StageFigure {
  stage: string;
  workflow_s: number | null;
  activity_s: number;
  trino_busy_s: number;
  trino_queries: number;
}

export interface TopQuery {
  seconds: number;
  source: string;
  state: string;
  error: string | null;
  node: string | null;
  stage: string;
  sql: string;
}

export interface ReportInput {
  summary: ReportedSummary;
  bronze: BronzeSummary | undefined;
  result: MonthlyYellowTripsResult | undefined;
  failure: string | undefined;
  failedActivity: ActivitySpan | undefined;
  monthSeconds: number;
  historySeconds: number;
  activitySeconds: number;
  temporalOverhead: number;
  ratio: number | null;
  history: Pick<HistoryFigures, 'workflowTasks'>;
  workerPid: number;
  vmhwmFresh: number | null;
  landed: (FetchOutcome & { status: 'landed' })['file'] | undefined;
  bronzeLoad: BronzeLoad | undefined;
  dbtOutcome: DbtOutcome | undefined;
  mainRows: number;
  stageFigures: StageFigure[];
  cpuSeconds: Record<string, number>;
  machineCpu: number;
  otherCpu: number;
  topQueries: TopQuery[];
  topDbtNodes: { node: string; seconds: number; queries: number }[];
  otherQueries: TrinoQueryRecord[];
  otherOpen: string[];
}

/** Every line the benchmark prints at the end, the JSON summary last. */
export function reportLines(input: ReportInput): string[] {
  const row = (label: string, measured: string, target: string, met: boolean | null) =>
    `  ${label.padEnd(34)} ${measured.padStart(10)}   ${target.padEnd(12)} ${verdict(met)}`;
  const lines = [
    '',
    ...(input.bronze ? [...bronzeSummaryLines(input.bronze), ''] : []),
    `ELT benchmark, ${MONTH} (${ROWS} rows, synthetic, offline TLC mirror), workflow ${WORKFLOW_ID}:`,
    `  ${'figure'.padEnd(34)} ${'measured'.padStart(10)}   ${'target'.padEnd(12)} verdict`,
    row(
      'month end to end',
      input.failure ? `FAILED ${input.monthSeconds.toFixed(1)} s` : seconds(input.monthSeconds),
      `<= ${TARGETS.month_end_to_end_s} s`,
      input.summary.targets_met.month_end_to_end_s,
    ),
    row('bronze append (product path)', seconds(input.summary.bronze_append_s), '', null),
    row('pyiceberg append (baseline)', seconds(input.summary.pyiceberg_append_s), '', null),
    row(
      'ratio bronze/pyiceberg',
      input.ratio === null ? 'n/a' : input.ratio.toFixed(3),
      `<= ${TARGETS.bronze_pyiceberg_ratio}`,
      input.summary.targets_met.bronze_pyiceberg_ratio,
    ),
    row(
      'worker peak RSS (VmRSS, 250 ms)',
      `${input.summary.worker_peak_rss_mib} MiB`,
      `<= ${TARGETS.worker_peak_rss_mib} MiB`,
      input.summary.targets_met.worker_peak_rss_mib,
    ),
    row('temporal overhead', seconds(input.summary.temporal_overhead_s), '', null),
    row('dbt build', seconds(input.summary.dbt_s), '', null),
    row('  silver models (Trino, wall)', seconds(input.summary.silver_s), '', null),
    row('  gold models (Trino, wall)', seconds(input.summary.gold_s), '', null),
    row('audit', seconds(input.summary.audit_s), '', null),
    '',
    ...(input.failure
      ? [
          `  THE WORKFLOW FAILED after ${seconds(input.monthSeconds)}; main is unchanged. ${input.failure}`,
          ...(input.failedActivity
            ? [
                `  failed activity: ${input.failedActivity.name} (attempt ${input.failedActivity.attempt}): ${input.failedActivity.failure}`,
              ]
            : []),
        ]
      : []),
    `  published on main after ${seconds(input.summary.published_on_main_s)}; the workflow ` +
      `${input.failure ? 'failed' : 'returned'} after ${seconds(input.monthSeconds)} (history ${seconds(input.historySeconds)}, ` +
      `activities ${seconds(input.activitySeconds)})`,
    `  Temporal overhead ${seconds(input.temporalOverhead)}: ${seconds(input.summary.temporal_overhead_in_history_s)} inside ` +
      `the workflow (activity queueing ${seconds(input.summary.activity_schedule_to_start_s)}, earlier attempts of ` +
      `retried activities and their backoff ${seconds(input.summary.retried_attempts_and_backoff_s)}, ${input.history.workflowTasks} ` +
      `workflow tasks ${seconds(input.summary.workflow_task_s)}), ${seconds(input.summary.client_overhead_s)} start/result calls`,
    `  worker: pid ${input.workerPid}, with its children (dbt) peak ${input.summary.worker_with_children_peak_rss_mib} MiB; VmHWM ` +
      (input.vmhwmFresh !== null
        ? `${input.vmhwmFresh} MiB (worker started by this benchmark's dp up)`
        : `n/a (worker not restarted; lifetime high-water mark ${input.summary.worker_vmhwm_lifetime_mib} MiB)`),
    `  fetch: ${input.landed ? (input.landed.reused ? 'reused the landed copy' : 'downloaded the month from the mirror') : '?'}` +
      `; Bronze in the workflow: ${input.bronzeLoad ? `${input.bronzeLoad.rows} rows, ${input.bronzeLoad.seconds.toFixed(1)} s` : '-'}` +
      `; dbt build: ${input.dbtOutcome ? `${input.dbtOutcome.seconds.toFixed(1)} s` : '-'}`,
    `  audit: ${
      input.result
        ? `${input.result.audit.passed ? 'passed' : 'FAILED'} (${input.result.audit.checks.length} checks): ` +
          Object.entries(input.result.audit.counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
        : 'not reached'
    }; main has ${input.mainRows} Bronze rows for ${MONTH}`,
    '',
    '  stage              workflow s  activity s  Trino busy s  queries',
    ...input.stageFigures.map(
      (s) =>
        `  ${s.stage.padEnd(18)} ${(s.workflow_s === null ? '-' : s.workflow_s.toFixed(1)).padStart(10)}  ` +
        `${s.activity_s.toFixed(1).padStart(10)}  ` +
        `${s.trino_busy_s.toFixed(1).padStart(12)}  ${String(s.trino_queries).padStart(7)}`,
    ),
    '',
    '  CPU seconds during the month: ' +
      Object.entries(input.cpuSeconds)
        .map(([c, v]) => `${c} ${v}`)
        .join(', ') +
      `; machine ${input.machineCpu.toFixed(0)} of ${(2 * input.monthSeconds).toFixed(0)} core-s, other processes ` +
      `${input.otherCpu.toFixed(0)} core-s`,
    `  Trino heap used: ${input.summary.trino_heap_used_mib.before ?? '?'} MiB before, peak ${input.summary.trino_heap_used_mib.peak} MiB`,
    '  longest Trino queries of the run:',
    ...input.topQueries.map(
      (q) =>
        `    ${q.seconds.toFixed(1).padStart(6)} s  [${q.stage}${q.node ? ` ${q.node}` : ''}]` +
        `${q.error ? ` ${q.state} ${q.error}` : ''} ${q.sql}`,
    ),
    ...(input.topDbtNodes.length > 0
      ? [
          '  dbt nodes by Trino time:',
          ...input.topDbtNodes.map(
            (n) => `    ${n.seconds.toFixed(1).padStart(6)} s  ${n.node} (${n.queries} queries)`,
          ),
        ]
      : []),
    input.otherQueries.length > 0 || input.otherOpen.length > 0
      ? `  WARNING: other work during the month: ${input.otherQueries.length} other Trino queries, open workflows ` +
        `${input.otherOpen.join(', ') || 'none'}`
      : '  no other Trino queries and no other open workflows during the month',
    JSON.stringify(input.summary),
    '',
  ];
  return lines;
}
