// `dp elt branches [--prune]`: the ELT runs' Nessie branches (and Trino catalogs) still there, why each is
// kept, and removing those of runs that are over, except audit failures within their retention.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { NessieClient } from '../clients/nessie';
import { TrinoClient } from '../clients/trino';
import { listRunBranches, removeRunBranch, type RunBranchEntry } from '../activities/elt/run-branches';
import { isRunOf, workflowIdForMonth, type RunBranchParts } from '../domain/names';
import { auditBranchRetentionDays, formatAge } from '../domain/run-branches';
import { loadConfig } from '../lib/config';
import {
  addTargetChoice,
  connectTemporal,
  currentTarget,
  localAddresses,
  objectStore,
  trinoUrl,
} from './target';
import { serviceEndpointFor, type TargetChoice } from '../platform/target';
import { formatTable } from './format';

export interface EltBranchesOptions extends TargetChoice {
  prune?: boolean;
  /** Days audit failures are kept; DP_AUDIT_BRANCH_RETENTION_DAYS (or 7) when absent. */
  retentionDays?: string;
}

/** True when the month's workflow is running, as the run whose token named the branch. */
async function runningRun(client: Client, parts: RunBranchParts): Promise<boolean> {
  try {
    const d = await client.workflow.getHandle(workflowIdForMonth(parts.month)).describe();
    return d.status.name === 'RUNNING' && isRunOf(parts, d.runId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

function branchRows(entries: RunBranchEntry[], now: Date): string[][] {
  return entries.map((e) => [
    e.branch,
    e.month,
    e.runId ?? `${e.runHex}... (attempt ${e.attempt})`,
    formatAge(e.auditFailedAt ?? e.headCommitTime, now),
    e.verdict.status,
    e.verdict.prune ? 'yes' : 'no',
  ]);
}

export async function eltBranchesCommand(options: EltBranchesOptions): Promise<void> {
  const config = loadConfig();
  const resolved = currentTarget(config, options);
  const retentionDays = auditBranchRetentionDays(
    options.retentionDays ?? process.env.DP_AUDIT_BRANCH_RETENTION_DAYS,
  );
  const store = await objectStore(config, resolved);
  const client = await connectTemporal(config, resolved);
  const stores = {
    nessie: new NessieClient(serviceEndpointFor(resolved, localAddresses(config), 'nessieApi')),
    trino: new TrinoClient(trinoUrl(config, resolved), { source: 'dp-elt-branches' }),
    s3: store.s3,
    bucket: store.bucket,
  };
  try {
    const now = new Date();
    const entries = await listRunBranches(stores, (parts) => runningRun(client, parts), now, retentionDays);
    if (entries.length === 0) {
      console.log('No ELT run branches.');
      return;
    }
    console.log(
      formatTable(['branch', 'month', 'run', 'age', 'kept because', 'prunable'], branchRows(entries, now)),
    );
    console.log(`Audit failures are kept ${retentionDays} days (DP_AUDIT_BRANCH_RETENTION_DAYS).`);
    const prunable = entries.filter((e) => e.verdict.prune);
    if (!options.prune) {
      if (prunable.length > 0) {
        console.log(`${prunable.length} prunable: dp elt branches --prune removes them.`);
      }
      return;
    }
    for (const entry of prunable) {
      await removeRunBranch(stores, entry, `dp elt branches --prune (${entry.verdict.status})`);
      console.log(`removed ${entry.branch} and Trino catalog ${entry.catalog}`);
    }
    console.log(`${prunable.length} removed, ${entries.length - prunable.length} kept.`);
  } finally {
    store.s3.destroy();
    await client.connection.close();
  }
}

/** Adds `branches` to the `dp elt` command group. */
export function registerEltBranchesCommand(elt: Command): void {
  addTargetChoice(elt.command('branches'))
    .description(
      "list the ELT runs' Nessie branches and why each is kept (running, audit failed, orphan); --prune " +
        'removes those of runs that are over, except audit failures younger than the retention',
    )
    .option('--prune', 'remove the prunable branches and their Trino catalogs')
    .option(
      '--retention-days <n>',
      'days audit failures are kept (default: DP_AUDIT_BRANCH_RETENTION_DAYS, or 7)',
    )
    .action(eltBranchesCommand);
}
