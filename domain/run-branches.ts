// Which run branches (and their Trino catalogs) stay and which go: a running run's stay, an audit failure's
// stay for inspection for a number of days, anything else a finished run left behind is an orphan.

/** Days an audit failure's branch is kept for inspection unless DP_AUDIT_BRANCH_RETENTION_DAYS says so. */
export const DEFAULT_AUDIT_BRANCH_RETENTION_DAYS = 7;

const DAY_MS = 24 * 60 * 60 * 1000;

/** DP_AUDIT_BRANCH_RETENTION_DAYS as a number of days (0 to 3650); the default when unset. */
export function auditBranchRetentionDays(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_AUDIT_BRANCH_RETENTION_DAYS;
  const days = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || days > 3650) {
    throw new Error(
      `Invalid DP_AUDIT_BRANCH_RETENTION_DAYS '${raw}': use a whole number of days from 0 to 3650.`,
    );
  }
  return days;
}

export type RunBranchStatus = 'running' | 'audit failed' | 'audit failed, expired' | 'orphan';

export interface RunBranchFacts {
  /** The run that made the branch is still running. */
  running: boolean;
  /** When the run's failed audit ran (ISO), if its audit failed. */
  auditFailedAt?: string;
}

export interface RunBranchVerdict {
  status: RunBranchStatus;
  /** True when `dp elt branches --prune` removes the branch and its catalog. */
  prune: boolean;
}

/** What becomes of a run branch at `now`, with audit failures kept for `retentionDays`. */
export function judgeRunBranch(facts: RunBranchFacts, now: Date, retentionDays: number): RunBranchVerdict {
  if (facts.running) return { status: 'running', prune: false };
  if (facts.auditFailedAt !== undefined) {
    const failedAt = Date.parse(facts.auditFailedAt);
    // An unreadable time is kept: removing evidence by mistake is worse than keeping it a while longer.
    if (Number.isNaN(failedAt) || now.getTime() - failedAt < retentionDays * DAY_MS) {
      return { status: 'audit failed', prune: false };
    }
    return { status: 'audit failed, expired', prune: true };
  }
  return { status: 'orphan', prune: true };
}

/** An age for people: "3 d", "5 h", "12 min". */
export function formatAge(fromIso: string | undefined, now: Date): string {
  if (!fromIso) return '-';
  const ms = now.getTime() - Date.parse(fromIso);
  if (Number.isNaN(ms)) return '-';
  if (ms >= DAY_MS) return `${Math.floor(ms / DAY_MS)} d`;
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)} h`;
  return `${Math.max(0, Math.floor(ms / 60_000))} min`;
}
