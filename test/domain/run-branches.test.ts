// Which run branches are kept and which go: running runs and fresh audit failures stay, the rest go.
import { auditBranchRetentionDays, formatAge, judgeRunBranch } from '../../domain/run-branches';

const NOW = new Date('2026-03-10T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const daysAgo = (days: number) => minutesAgo(Math.round(days * 1440));

describe('judgeRunBranch', () => {
  test('a running run keeps its branch, whatever its audit says', () => {
    expect(judgeRunBranch({ running: true }, NOW, 7)).toEqual({ status: 'running', prune: false });
    expect(judgeRunBranch({ running: true, auditFailedAt: daysAgo(30) }, NOW, 7).prune).toBe(false);
  });

  test('an audit failure is kept for the retention, then goes', () => {
    expect(judgeRunBranch({ running: false, auditFailedAt: daysAgo(6.9) }, NOW, 7)).toEqual({
      status: 'audit failed',
      prune: false,
    });
    expect(judgeRunBranch({ running: false, auditFailedAt: daysAgo(7.1) }, NOW, 7)).toEqual({
      status: 'audit failed, expired',
      prune: true,
    });
    expect(judgeRunBranch({ running: false, auditFailedAt: daysAgo(0) }, NOW, 0).prune).toBe(true);
  });

  test('an audit failure with an unreadable time is kept', () => {
    expect(judgeRunBranch({ running: false, auditFailedAt: 'yesterday' }, NOW, 7).prune).toBe(false);
  });

  test('a finished run without a failed audit left an orphan', () => {
    expect(judgeRunBranch({ running: false }, NOW, 7)).toEqual({ status: 'orphan', prune: true });
  });
});

describe('auditBranchRetentionDays', () => {
  test('7 by default, else the whole number given', () => {
    expect(auditBranchRetentionDays(undefined)).toBe(7);
    expect(auditBranchRetentionDays('')).toBe(7);
    expect(auditBranchRetentionDays('0')).toBe(0);
    expect(auditBranchRetentionDays('30')).toBe(30);
  });

  test('refuses anything else, naming the variable', () => {
    for (const raw of ['-1', '1.5', 'seven', '3651']) {
      expect(() => auditBranchRetentionDays(raw)).toThrow(/DP_AUDIT_BRANCH_RETENTION_DAYS '.*': use a whole/);
    }
  });
});

describe('formatAge', () => {
  test('days, hours or minutes', () => {
    expect(formatAge(minutesAgo(3.5 * 1440), NOW)).toBe('3 d');
    expect(formatAge(minutesAgo(5 * 60), NOW)).toBe('5 h');
    expect(formatAge(minutesAgo(12), NOW)).toBe('12 min');
    expect(formatAge(undefined, NOW)).toBe('-');
  });
});
