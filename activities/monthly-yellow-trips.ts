// Activities of the monthly Yellow Taxi ELT: fetch, branch, Bronze, dbt, audit, publish (the stages' work is in
// activities/elt/; these are the thin, retry-safe entry points the workflow calls).
// Each one is safe to retry: it checks what is already done before it changes anything.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { lakehouseCatalogAt } from '../lib/catalog';
import { appendBronzeMonth } from './elt/bronze/append';
import { isMergeConflict, NessieClient, type NessieReference } from '../clients/nessie';
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
import { InvalidSourceFile } from './elt/invalid-source-file';
import { validMonth } from '../domain/months';
import { sqlIdentifier, TrinoClient } from '../clients/trino';
import { auditMonth } from './elt/audit';
import { runDbtBuild } from './elt/dbt';
import { publishTagName } from '../domain/names';
import { heartbeat, withHeartbeat } from './heartbeat';

export interface EltSettings {
  endpoints: () => PlatformEndpoints;
  /** Base URL of the TLC trip files (the public host, or a mirror). */
  tlcBaseUrl: string;
  /** The dbt virtualenv and project. */
  dbtExecutable: string;
  dbtProjectDir: string;
}

export function createEltActivities(settings: EltSettings) {
  const trino = (catalog?: string) =>
    new TrinoClient(settings.endpoints().trino, { source: 'dp-elt', catalog, requestTimeoutMs: 600_000 });
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
      const client = s3();
      const bucket = settings.endpoints().warehouseBucket;
      const month = validMonth(input.month);
      const runId = input.runId ?? Context.current().info.workflowExecution.runId;
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
          });
        }
        return await fetchMonthToLanding({
          s3: client,
          bucket,
          baseUrl: input.baseUrl ?? settings.tlcBaseUrl,
          month,
          runId,
          progress: heartbeat,
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
        return await withHeartbeat('loading bronze', () =>
          appendBronzeMonth({
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
          }),
        );
      } catch (err) {
        throw failForGoodIfInvalidSource(err);
      }
    },

    /** `dbt build` (seeds, Silver, Gold, tests) for one month, on the run's catalog. */
    async runDbt(input: { run: RunBranch; month: string }): Promise<DbtOutcome> {
      return withHeartbeat('dbt build', () =>
        runDbtBuild({
          dbtExecutable: settings.dbtExecutable,
          projectDir: settings.dbtProjectDir,
          trinoUrl: settings.endpoints().trino,
          catalog: input.run.catalog,
          month: validMonth(input.month),
          onProgress: heartbeat,
        }),
      );
    },

    async audit(input: {
      run: RunBranch;
      landed: LandedFile;
      dbt: DbtOutcome;
      runId: string;
    }): Promise<AuditReport> {
      const report = await withHeartbeat('auditing', () =>
        auditMonth(trino(), input.run.catalog, input.landed, input.dbt.failedTests, input.runId),
      );
      const e = settings.endpoints();
      const key = `audits/yellow_trips/${input.landed.month}/${input.runId}.json`;
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

    /** Merges the run's branch into main in one commit and moves the month's tag to it. */
    async publish(input: { run: RunBranch; month: string; runId: string }): Promise<PublishOutcome> {
      const n = nessie();
      const branch = await n.getReference(input.run.branch);
      if (!branch) throw ApplicationFailure.nonRetryable(`Run branch ${input.run.branch} no longer exists.`);
      let mainHash: string;
      try {
        const main = (await n.getReference('main')) as NessieReference;
        const merged = await n.merge(main, { name: branch.name, hash: branch.hash }, publishMessage(input));
        mainHash = merged.resultantTargetHash;
      } catch (err) {
        if (isMergeConflict(err)) return { status: 'conflict', message: (err as Error).message };
        throw err;
      }
      const tag = publishTagName(input.month);
      const existing = await n.getReference(tag);
      if (!existing) await n.createReference(tag, 'TAG', { name: 'main', hash: mainHash });
      else if (existing.hash !== mainHash) {
        await n.assignReference(tag, 'TAG', existing.hash, { name: 'main', hash: mainHash });
      }
      return { status: 'published', mainHash, tag };
    },

    /** Drops the run's Trino catalog and Nessie branch (after a publish, or before a fresh attempt). */
    async dropRunBranch(input: { run: RunBranch }): Promise<void> {
      const t = trino();
      if ((await t.catalogs()).includes(input.run.catalog))
        await t.query(`DROP CATALOG ${sqlIdentifier(input.run.catalog)}`);
      const n = nessie();
      const branch = await n.getReference(input.run.branch);
      if (branch) await n.deleteReference(branch.name, 'BRANCH', branch.hash);
    },
  };
}

/** A bad source file fails the activity without retries (they would read the same bytes); others as they are. */
function failForGoodIfInvalidSource(err: unknown): unknown {
  return err instanceof InvalidSourceFile || err instanceof MonthSourceError || err instanceof LandingKeyError
    ? ApplicationFailure.nonRetryable(err.message, err.name)
    : err;
}

function publishMessage(input: { month: string; runId: string }): string {
  return `Publish yellow trips ${input.month} (run ${input.runId})`;
}

export type EltActivities = ReturnType<typeof createEltActivities>;
