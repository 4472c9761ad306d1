// Activities of the monthly Yellow Taxi ELT: fetch, branch, Bronze, dbt, audit, publish (the stages' work is in
// activities/elt/; these are the thin, retry-safe entry points the workflow calls).
// Each one is safe to retry: it checks what is already done before it changes anything.
//
// The long ones honour cancellation (a cancelled or timed-out attempt; Temporal delivers it with the reply to a
// heartbeat, so they heartbeat every few seconds): the download is aborted, Trino statements are cancelled and
// dbt is stopped. As a timed-out attempt's worker may be gone, a stage first kills what still runs on the run's
// catalog before it writes there itself.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { lakehouseCatalogAt } from '../lib/catalog';
import { appendBronzeMonth } from './elt/bronze/append';
import { isMergeConflict, NessieClient, type NessieCommit, type NessieReference } from '../clients/nessie';
import type { PlatformEndpoints } from '../platform/driver';
import { s3Client } from '../clients/s3';
import type {
  AuditReport,
  BronzeLoad,
  DbtOutcome,
  FetchOutcome,
  LandedFile,
  MonthSource,
  PublishOutcome,
  RunBranch,
} from '../domain/elt';
import { fetchMonthToLanding } from './elt/fetch';
import { LandingKeyError } from '../domain/landing';
import { fetchSourceToLanding } from './elt/fetch-source';
import { MonthSourceError, validMonthSource } from '../domain/month-source';
import {
  allowedOrigin,
  checkSourceAllowed,
  SOURCE_NOT_ALLOWED,
  SourceNotAllowed,
  type AllowedOrigin,
} from '../domain/source-policy';
import { InvalidSourceFile } from './elt/invalid-source-file';
import { validMonth } from '../domain/months';
import { sqlIdentifier, TrinoClient } from '../clients/trino';
import { auditMonth } from './elt/audit';
import { runDbtBuild } from './elt/dbt';
import { auditReportKey, publishTagName } from '../domain/names';
import { killQueriesOn } from '../clients/trino-kill';
import { heartbeat, withHeartbeat } from './heartbeat';
import { listRunBranches, removeRunBranch } from './elt/run-branches';

export interface EltSettings {
  endpoints: () => PlatformEndpoints;
  /** Base URL of the TLC trip files (the public host, or a mirror). */
  tlcBaseUrl: string;
  /** Origins (base URLs, host or host:port) the fetch may reach; see domain/source-policy.ts. */
  allowedSources: readonly string[];
  /** The dbt virtualenv and project. */
  dbtExecutable: string;
  dbtProjectDir: string;
  /** Days an audit failure's branch and catalog are kept for inspection (DP_AUDIT_BRANCH_RETENTION_DAYS). */
  auditBranchRetentionDays: number;
}

/** Aborted when Temporal cancels the running activity (or its attempt timed out). */
function cancellation(): AbortSignal {
  return Context.current().cancellationSignal;
}

/** Why a stage's statements were killed, in Trino's query list (never the catalog's name: trino-kill.ts). */
function killMessage(stage: string): string {
  const info = Context.current().info;
  const of = info.workflowExecution ? `workflow ${info.workflowExecution.workflowId}` : info.activityId;
  return `dp: ${stage} attempt ${info.attempt} of ${of} starts again`;
}

export function createEltActivities(settings: EltSettings) {
  // Parsed once: a malformed entry stops the worker at start, not a run later.
  const allowedSources = settings.allowedSources.map(allowedOrigin);
  const trino = (catalog?: string, signal?: AbortSignal) =>
    new TrinoClient(settings.endpoints().trino, {
      source: 'dp-elt',
      catalog,
      requestTimeoutMs: 600_000,
      signal,
    });
  /** Kills what an earlier attempt of `stage` (or a stage before it) left running on the run's catalog. */
  const killLeftovers = async (run: RunBranch, stage: string) => {
    const killed = await killQueriesOn(trino(), run.catalog, { message: killMessage(stage) });
    if (killed.length > 0) {
      heartbeat(`${stage}: killed ${killed.length} statement(s) left running on ${run.catalog}`);
    }
  };
  const nessie = () => new NessieClient(settings.endpoints().nessieApi);
  const s3 = () => {
    const e = settings.endpoints();
    return s3Client({ endpoint: e.s3, ...e.credentials });
  };

  return {
    /** Lands the month's file: from `source` when given, else from the TLC host (or mirror) at baseUrl. */
    async fetchMonth(input: {
      month: string;
      baseUrl?: string;
      source?: MonthSource;
      /** The workflow run landing the file (its own landing key); the calling run's when absent. */
      runId?: string;
    }): Promise<FetchOutcome> {
      refuseUnlistedSource(sourceUrlOf(input, settings.tlcBaseUrl), allowedSources);
      const client = s3();
      const bucket = settings.endpoints().warehouseBucket;
      const month = validMonth(input.month);
      // Aborts the download when the activity is cancelled.
      const cancel = { signal: cancellation() };
      // An activity started outside a workflow lands under its own activity id.
      const info = Context.current().info;
      const runId = input.runId ?? info.workflowExecution?.runId ?? info.activityId;
      try {
        if (input.source) {
          const source = validMonthSource(input.source);
          return await fetchSourceToLanding({
            s3: client,
            bucket,
            month,
            runId,
            source,
            progress: heartbeat,
            ...cancel,
          });
        }
        return await fetchMonthToLanding({
          s3: client,
          bucket,
          baseUrl: input.baseUrl ?? settings.tlcBaseUrl,
          month,
          runId,
          progress: heartbeat,
          ...cancel,
        });
      } catch (err) {
        throw failForGoodIfInvalidSource(err);
      } finally {
        client.destroy();
      }
    },

    /** Creates the run's branch from main's current commit and a Trino catalog bound to it. */
    async createRunBranch(input: { branch: string; catalog: string }): Promise<RunBranch> {
      const n = nessie();
      const e = settings.endpoints();
      const existing = await n.getReference(input.branch);
      let fromHash: string;
      if (existing) {
        // A retry after the branch was made: keep it; the steps after this one are idempotent on it.
        fromHash = existing.hash;
      } else {
        const main = (await n.getReference('main')) as NessieReference;
        await n.createReference(input.branch, 'BRANCH', { name: 'main', hash: main.hash });
        fromHash = main.hash;
      }
      const catalog = sqlIdentifier(input.catalog);
      await trino().ensureCatalog(catalog, lakehouseCatalogAt(e, input.branch));
      return { branch: input.branch, catalog, fromHash };
    },

    async appendBronze(input: { run: RunBranch; landed: LandedFile; runId: string }): Promise<BronzeLoad> {
      const e = settings.endpoints();
      try {
        return await withHeartbeat('loading bronze', async () => {
          await killLeftovers(input.run, 'loading bronze');
          return appendBronzeMonth({
            trinoUrl: e.trino,
            catalog: input.run.catalog,
            s3: { endpoint: e.s3, ...e.credentials },
            bucket: input.landed.bucket,
            sourceKey: input.landed.key,
            month: input.landed.month,
            sourceFile: input.landed.sourceFile,
            sourceSha256: input.landed.sha256,
            sourceBytes: input.landed.bytes,
            runId: input.runId,
            onProgress: heartbeat,
            signal: cancellation(),
          });
        });
      } catch (err) {
        throw failForGoodIfInvalidSource(err);
      }
    },

    /** `dbt build` (seeds, Silver, Gold, tests) for one month, on the run's catalog. */
    async runDbt(input: { run: RunBranch; month: string }): Promise<DbtOutcome> {
      return withHeartbeat('dbt build', async () => {
        await killLeftovers(input.run, 'dbt build');
        return runDbtBuild({
          dbtExecutable: settings.dbtExecutable,
          projectDir: settings.dbtProjectDir,
          trinoUrl: settings.endpoints().trino,
          catalog: input.run.catalog,
          month: validMonth(input.month),
          onProgress: heartbeat,
          signal: cancellation(),
        });
      });
    },

    async audit(input: {
      run: RunBranch;
      landed: LandedFile;
      dbt: DbtOutcome;
      runId: string;
    }): Promise<AuditReport> {
      const audited = await withHeartbeat('auditing', async () => {
        await killLeftovers(input.run, 'auditing');
        // The commit the checks read: publish merges exactly this one (see publish).
        const branch = await nessie().getReference(input.run.branch);
        if (!branch) {
          throw ApplicationFailure.nonRetryable(
            `Run branch ${input.run.branch} no longer exists; nothing to audit.`,
            'RunBranchGone',
          );
        }
        const checked = await auditMonth(
          trino(undefined, cancellation()),
          input.run.catalog,
          input.landed,
          input.dbt.failedTests,
          input.runId,
        );
        return { ...checked, auditedHash: branch.hash };
      });
      // The branch is read again after the checks: a write during them would leave the report unsure.
      const after = await nessie().getReference(input.run.branch);
      const report: AuditReport =
        after?.hash === audited.auditedHash
          ? audited
          : {
              ...audited,
              passed: false,
              checks: [
                ...audited.checks,
                {
                  name: 'branch unchanged during the audit',
                  passed: false,
                  expected: audited.auditedHash,
                  actual: after?.hash ?? 'branch gone',
                },
              ],
            };
      const e = settings.endpoints();
      const key = auditReportKey(input.landed.month, input.runId);
      const client = s3();
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: e.warehouseBucket,
            Key: key,
            Body: JSON.stringify(report, null, 2),
            ContentType: 'application/json',
          }),
        );
      } finally {
        client.destroy();
      }
      return { ...report, reportLocation: `s3://${e.warehouseBucket}/${key}` };
    },

    /**
     * Merges exactly the audited commit of the run's branch into main in one commit and moves the month's tag
     * to it. A branch written to after its audit is refused for good (what would be published was not
     * audited). A retry after a merge that went through (the attempt timed out after Nessie merged) finds
     * that merge on main and returns it instead of merging again.
     */
    async publish(input: {
      run: RunBranch;
      month: string;
      runId: string;
      /** Absent only for runs audited by an earlier version: their branch's head is merged, as then. */
      auditedHash?: string;
    }): Promise<PublishOutcome> {
      const n = nessie();
      const message = publishMessage({ ...input, branch: input.run.branch });
      const sinceBranched = await n.history('main', { untilHash: input.run.fromHash });
      // Its merge commit: by its message, or by the audited commit as its merged (not first) parent.
      const mergesAudited = (commit: NessieCommit) =>
        input.auditedHash !== undefined &&
        (commit.parentCommitHashes ?? []).slice(1).includes(input.auditedHash);
      const earlier = sinceBranched.find((commit) => commit.message === message || mergesAudited(commit));
      let mainHash: string;
      if (earlier) {
        mainHash = earlier.hash;
      } else {
        const branch = await n.getReference(input.run.branch);
        if (!branch) {
          throw ApplicationFailure.nonRetryable(
            `Run branch ${input.run.branch} no longer exists.`,
            'RunBranchGone',
          );
        }
        const audited = input.auditedHash ?? branch.hash;
        if (branch.hash !== audited) {
          throw ApplicationFailure.nonRetryable(
            `Run branch ${input.run.branch} moved after its audit (audited ${audited}, now ` +
              `${branch.hash}): something else wrote to it, so what it holds now was not audited. Main is ` +
              'unchanged; run the month again.',
            'BranchMovedAfterAudit',
          );
        }
        try {
          const main = (await n.getReference('main')) as NessieReference;
          const merged = await n.merge(main, { name: branch.name, hash: audited }, message);
          mainHash = merged.resultantTargetHash;
        } catch (err) {
          if (isMergeConflict(err)) return { status: 'conflict', message: (err as Error).message };
          throw err;
        }
      }
      const tag = publishTagName(input.month);
      const existing = await n.getReference(tag);
      if (!existing) await n.createReference(tag, 'TAG', { name: 'main', hash: mainHash });
      else if (existing.hash !== mainHash) {
        await n.assignReference(tag, 'TAG', existing.hash, { name: 'main', hash: mainHash });
      }
      return { status: 'published', mainHash, tag };
    },

    /**
     * Drops the run's Trino catalog and Nessie branch (after a publish, before a fresh attempt, or after a
     * failed or cancelled run), killing first what still runs on the catalog.
     */
    async dropRunBranch(input: { run: { branch: string; catalog: string } }): Promise<void> {
      const why = killMessage('removing the run branch');
      await removeRunBranch({ nessie: nessie(), trino: trino() }, input.run, why);
    },

    /**
     * Removes the branches and catalogs of audit failures older than the retention, so they do not pile up.
     * Returns the branches removed.
     */
    async pruneExpiredAuditBranches(): Promise<string[]> {
      const client = s3();
      const stores = {
        nessie: nessie(),
        trino: trino(),
        s3: client,
        bucket: settings.endpoints().warehouseBucket,
      };
      try {
        const days = settings.auditBranchRetentionDays;
        // An audit failure ended its run, so no running run is asked about here.
        const entries = await listRunBranches(stores, async () => false, new Date(), days);
        const removed: string[] = [];
        for (const entry of entries.filter((e) => e.verdict.status === 'audit failed, expired')) {
          await removeRunBranch(stores, entry, `dp: audit failure kept ${days} days, removed`);
          removed.push(entry.branch);
        }
        return removed;
      } finally {
        client.destroy();
      }
    },
  };
}

/** A bad source file fails the activity without retries (they would read the same bytes); others as they are. */
function failForGoodIfInvalidSource(err: unknown): unknown {
  return err instanceof InvalidSourceFile || err instanceof MonthSourceError || err instanceof LandingKeyError
    ? ApplicationFailure.nonRetryable(err.message, err.name)
    : err;
}

/** The URL the fetch would reach: the source's own, none for an upload, else the month's base URL. */
function sourceUrlOf(input: { baseUrl?: string; source?: MonthSource }, tlcBaseUrl: string) {
  if (input.source) return input.source.kind === 'url' ? input.source.url : undefined;
  return input.baseUrl ?? tlcBaseUrl;
}

/** Fails the activity for good, before any network access, when the URL's origin is not allowed. */
function refuseUnlistedSource(url: string | undefined, allowed: readonly AllowedOrigin[]): void {
  if (url === undefined) return;
  try {
    checkSourceAllowed(url, allowed);
  } catch (err) {
    if (err instanceof SourceNotAllowed)
      throw ApplicationFailure.nonRetryable(err.message, SOURCE_NOT_ALLOWED);
    throw err;
  }
}

/** The merge commit's message: it names the run and branch, so a retry can find its own earlier merge. */
export function publishMessage(input: { month: string; runId: string; branch: string }): string {
  return `Publish yellow trips ${input.month} (run ${input.runId}, branch ${input.branch})`;
}

export type EltActivities = ReturnType<typeof createEltActivities>;
