// The ELT runs' Nessie branches and Trino catalogs: finding them, judging them (domain/run-branches.ts) and
// removing one (its statements killed first, then the catalog, then the branch). Used by the workflow's
// cleanup activities and by `dp elt branches`.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listAllObjects } from '../../clients/s3';
import type { NessieClient } from '../../clients/nessie';
import { sqlIdentifier, type TrinoClient } from '../../clients/trino';
import { killQueriesOn } from '../../clients/trino-kill';
import { auditReportPrefix, parseRunBranchName, type RunBranchParts } from '../../domain/names';
import { judgeRunBranch, type RunBranchVerdict } from '../../domain/run-branches';

export interface RunBranchStores {
  nessie: NessieClient;
  trino: TrinoClient;
  s3: S3Client;
  /** The warehouse bucket, which holds the audit reports. */
  bucket: string;
}

export interface RunBranchEntry extends RunBranchParts {
  branch: string;
  hash: string;
  /** The run's full id, when its audit report names it. */
  runId?: string;
  /** When the branch's head commit was made (for a branch nothing was written to: its start on main). */
  headCommitTime?: string;
  auditFailedAt?: string;
  running: boolean;
  verdict: RunBranchVerdict;
}

interface AuditOutcome {
  runId: string;
  catalog: string;
  passed: boolean;
  auditedAt: string;
}

/** The audit reports of a month, as far as they can be read (an unreadable one says nothing). */
async function auditOutcomes(stores: RunBranchStores, month: string): Promise<AuditOutcome[]> {
  const outcomes: AuditOutcome[] = [];
  for (const object of await listAllObjects(stores.s3, stores.bucket, auditReportPrefix(month))) {
    if (!object.Key?.endsWith('.json')) continue;
    try {
      const body = await stores.s3.send(new GetObjectCommand({ Bucket: stores.bucket, Key: object.Key }));
      const report = JSON.parse((await body.Body?.transformToString()) ?? '{}') as Partial<AuditOutcome>;
      if (typeof report.catalog === 'string' && typeof report.passed === 'boolean') {
        outcomes.push({
          runId: String(report.runId ?? ''),
          catalog: report.catalog,
          passed: report.passed,
          auditedAt: String(report.auditedAt ?? ''),
        });
      }
    } catch {
      // Not a report of ours, or half written: it does not make the branch an audit failure.
    }
  }
  return outcomes;
}

/**
 * Every run branch in Nessie, oldest month first, with what is known of its run and the verdict at `now`.
 * `isRunning` says whether the run that made a branch still runs (the CLI asks Temporal).
 */
export async function listRunBranches(
  stores: RunBranchStores,
  isRunning: (parts: RunBranchParts) => Promise<boolean>,
  now: Date,
  retentionDays: number,
): Promise<RunBranchEntry[]> {
  const refs = (await stores.nessie.references()).filter((r) => r.type === 'BRANCH');
  const outcomesByMonth = new Map<string, AuditOutcome[]>();
  const entries: RunBranchEntry[] = [];
  for (const ref of refs) {
    const parts = parseRunBranchName(ref.name);
    if (!parts) continue;
    if (!outcomesByMonth.has(parts.month)) {
      outcomesByMonth.set(parts.month, await auditOutcomes(stores, parts.month));
    }
    const audit = outcomesByMonth.get(parts.month)?.find((o) => o.catalog === parts.catalog);
    const auditFailedAt = audit && !audit.passed ? audit.auditedAt : undefined;
    const running = await isRunning(parts);
    const [head] = await stores.nessie.history(ref.name, { limit: 1 });
    entries.push({
      ...parts,
      branch: ref.name,
      hash: ref.hash,
      runId: audit?.runId || undefined,
      headCommitTime: head?.commitTime,
      auditFailedAt,
      running,
      verdict: judgeRunBranch({ running, auditFailedAt }, now, retentionDays),
    });
  }
  return entries.sort((a, b) => a.branch.localeCompare(b.branch));
}

/**
 * Removes a run's Trino catalog and Nessie branch, after killing the statements still running on the
 * catalog (an attempt that timed out, or a cancelled one, may still write). Safe to repeat.
 */
export async function removeRunBranch(
  stores: Pick<RunBranchStores, 'nessie' | 'trino'>,
  run: { branch: string; catalog: string },
  why: string,
): Promise<void> {
  const catalog = sqlIdentifier(run.catalog);
  if ((await stores.trino.catalogs()).includes(catalog)) {
    await killQueriesOn(stores.trino, catalog, { message: why });
    await stores.trino.query(`DROP CATALOG ${catalog}`);
  }
  const branch = await stores.nessie.getReference(run.branch);
  if (branch) await stores.nessie.deleteReference(branch.name, 'BRANCH', branch.hash);
}
