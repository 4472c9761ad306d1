// Activities of the monthly Yellow Taxi ELT: fetch, branch, Bronze, dbt, audit, publish.
// Each one is safe to retry: it checks what is already done before it changes anything.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { lakehouseCatalogProperties } from '../lib/catalog';
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
  PublishOutcome,
  RunBranch,
} from '../domain/elt';
import { fetchMonthToLanding } from './elt/fetch';
import { InvalidSourceFile } from './elt/invalid-source-file';
import { validMonth } from '../domain/months';
import { sqlIdentifier, TrinoClient } from '../clients/trino';
import { auditMonth } from './elt/audit';
import { publishTagName } from '../domain/names';
import { heartbeat, withHeartbeat } from './heartbeat';
import { runLines } from '../lib/exec';

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
    async fetchMonth(input: { month: string; baseUrl?: string }): Promise<FetchOutcome> {
      const client = s3();
      try {
        return await fetchMonthToLanding({
          s3: client,
          bucket: settings.endpoints().warehouseBucket,
          baseUrl: input.baseUrl ?? settings.tlcBaseUrl,
          month: validMonth(input.month),
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
      await trino().ensureCatalog(
        catalog,
        lakehouseCatalogProperties({
          nessieApiUri: e.nessieApi,
          s3Endpoint: e.s3,
          warehouseBucket: e.warehouseBucket,
          ref: input.branch,
        }),
      );
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
        runDbtBuild(settings, input.run.catalog, validMonth(input.month)),
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
  return err instanceof InvalidSourceFile ? ApplicationFailure.nonRetryable(err.message, err.name) : err;
}

function publishMessage(input: { month: string; runId: string }): string {
  return `Publish yellow trips ${input.month} (run ${input.runId})`;
}

interface DbtRunResults {
  results: { unique_id: string; status: string; failures: number | null; message: string | null }[];
}

async function runDbtBuild(settings: EltSettings, catalog: string, month: string): Promise<DbtOutcome> {
  const started = Date.now();
  const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-dbt-'));
  const trinoUrl = new URL(settings.endpoints().trino);
  const args = [
    'build',
    '--project-dir',
    settings.dbtProjectDir,
    '--profiles-dir',
    settings.dbtProjectDir,
    '--target-path',
    targetDir,
    '--vars',
    JSON.stringify({ month }),
  ];
  const env = {
    ...process.env,
    DP_DBT_CATALOG: catalog,
    DP_TRINO_HOST: trinoUrl.hostname,
    DP_TRINO_PORT: trinoUrl.port || '80',
    DBT_LOG_PATH: path.join(targetDir, 'logs'),
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_EXCLUDE_RESOURCE_TYPES: 'unit_test', // they test the SQL, not the month: test/dbt runs them
  };
  try {
    // dbt exits non-zero when a test fails: run_results.json, not the exit code, says what happened.
    const { code, output } = await runLines(settings.dbtExecutable, args, {
      env,
      keepLines: 60,
      onLine: (line) => {
        if (/ (OK|PASS|FAIL|ERROR|WARN) /.test(line) || /START/.test(line)) heartbeat(`dbt: ${line.trim()}`);
      },
    });
    const resultsFile = path.join(targetDir, 'run_results.json');
    if (!fs.existsSync(resultsFile)) {
      throw new Error(`dbt build failed before running anything (exit ${code}):\n${output}`);
    }
    const results = (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as DbtRunResults).results;
    const errors = results.filter((r) => r.status === 'error');
    if (errors.length > 0) {
      throw new Error(
        `dbt build had ${errors.length} error(s): ` +
          errors.map((r) => `${r.unique_id}: ${r.message ?? ''}`.slice(0, 500)).join('; '),
      );
    }
    const failedTests = results
      .filter((r) => r.status === 'fail')
      .map((r) => ({ name: r.unique_id, failures: r.failures ?? 0, message: r.message ?? '' }));
    const passed = results.filter((r) => ['success', 'pass'].includes(r.status)).length;
    return { seconds: (Date.now() - started) / 1000, passed, failedTests };
  } finally {
    fs.rmSync(targetDir, { recursive: true, force: true });
  }
}

export type EltActivities = ReturnType<typeof createEltActivities>;
