// `dp elt branches [--prune]` against the real platform: run branches and catalogs made by hand as
// failed runs would leave them (an orphan, an audit failure within the retention, an expired one) are
// listed with why each is kept; --prune removes exactly the orphan and the expired audit failure, branch
// and catalog.
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { NessieClient } from '../../clients/nessie';
import { s3Client } from '../../clients/s3';
import { TrinoClient } from '../../clients/trino';
import { auditReportKey, runBranchName, runCatalogName } from '../../domain/names';
import { lakehouseCatalogAt } from '../../lib/catalog';
import { endpoints, loadConfig } from '../../lib/config';
import { LocalDriver } from '../../platform/local/driver';
import { dp } from '../support/platform/dp';

const config = loadConfig();
const platform = new LocalDriver(config).endpoints();
const nessie = new NessieClient(endpoints(config).nessieApi);
const trino = new TrinoClient(endpoints(config).trino, { source: 'elt-branches.test' });
const s3 = s3Client({ endpoint: platform.s3, ...platform.credentials });
const MONTH = '2031-05';
const DAY_MS = 86_400_000;

interface FakeRun {
  runId: string;
  branch: string;
  catalog: string;
  reportKey?: string;
}

const runs: FakeRun[] = [];

/** A run's branch and catalog as the workflow makes them, and its audit report when `audit` is given. */
async function fakeRun(audit?: { passed: boolean; daysAgo: number }): Promise<FakeRun> {
  // Temporal run ids are UUIDs; the branch names the first 10 hex digits.
  const runId = `${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-7abc-8def-0123456789ab`;
  const branch = runBranchName(MONTH, runId, 1);
  const catalog = runCatalogName(MONTH, runId, 1);
  const main = await nessie.getReference('main');
  await nessie.createReference(branch, 'BRANCH', { name: 'main', hash: main?.hash as string });
  await trino.ensureCatalog(catalog, lakehouseCatalogAt(platform, branch));
  const run: FakeRun = { runId, branch, catalog };
  if (audit) {
    run.reportKey = auditReportKey(MONTH, runId);
    const report = {
      month: MONTH,
      runId,
      catalog,
      passed: audit.passed,
      auditedAt: new Date(Date.now() - audit.daysAgo * DAY_MS).toISOString(),
    };
    const put = { Bucket: platform.warehouseBucket, Key: run.reportKey, Body: JSON.stringify(report) };
    await s3.send(new PutObjectCommand(put));
  }
  runs.push(run);
  return run;
}

async function exists(run: FakeRun): Promise<{ branch: boolean; catalog: boolean }> {
  return {
    branch: (await nessie.getReference(run.branch)) !== undefined,
    catalog: (await trino.catalogs()).includes(run.catalog),
  };
}

interface Row {
  run: string;
  age: string;
  keptBecause: string;
  prunable: string;
}

/** The row `dp elt branches` prints for a branch: branch | month | run | age | kept because | prunable. */
function rowOf(stdout: string, branch: string): Row | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`${branch} `));
  if (!line) return undefined;
  const [, , run, age, keptBecause, prunable] = line.split('|').map((cell) => cell.trim());
  return { run, age, keptBecause, prunable };
}

afterAll(async () => {
  for (const run of runs) {
    if ((await trino.catalogs()).includes(run.catalog)) await trino.query(`DROP CATALOG ${run.catalog}`);
    const ref = await nessie.getReference(run.branch);
    if (ref) await nessie.deleteReference(ref.name, 'BRANCH', ref.hash);
    if (run.reportKey) {
      await s3.send(new DeleteObjectCommand({ Bucket: platform.warehouseBucket, Key: run.reportKey }));
    }
  }
  s3.destroy();
});

describe('dp elt branches', () => {
  test('lists why each branch is kept; --prune removes orphans and expired audit failures', async () => {
    const orphan = await fakeRun();
    const passedButLeft = await fakeRun({ passed: true, daysAgo: 0 });
    const freshFailure = await fakeRun({ passed: false, daysAgo: 2 });
    const expiredFailure = await fakeRun({ passed: false, daysAgo: 9 });
    const env = { DP_AUDIT_BRANCH_RETENTION_DAYS: '7' };

    const listed = dp(['elt', 'branches'], env);
    expect({ code: listed.code, stderr: listed.stderr }).toMatchObject({ code: 0 });
    expect(rowOf(listed.stdout, orphan.branch)).toMatchObject({ keptBecause: 'orphan', prunable: 'yes' });
    expect(rowOf(listed.stdout, passedButLeft.branch)).toMatchObject({
      keptBecause: 'orphan',
      prunable: 'yes',
    });
    expect(rowOf(listed.stdout, freshFailure.branch)).toEqual({
      run: freshFailure.runId,
      age: '2 d',
      keptBecause: 'audit failed',
      prunable: 'no',
    });
    expect(rowOf(listed.stdout, expiredFailure.branch)).toMatchObject({
      age: '9 d',
      keptBecause: 'audit failed, expired',
      prunable: 'yes',
    });
    for (const run of runs) expect(await exists(run)).toEqual({ branch: true, catalog: true });

    const pruned = dp(['elt', 'branches', '--prune'], env);
    expect({ code: pruned.code, stderr: pruned.stderr }).toMatchObject({ code: 0 });
    expect(await exists(orphan)).toEqual({ branch: false, catalog: false });
    expect(await exists(passedButLeft)).toEqual({ branch: false, catalog: false });
    expect(await exists(expiredFailure)).toEqual({ branch: false, catalog: false });
    expect(await exists(freshFailure)).toEqual({ branch: true, catalog: true });

    // With no retention, the audit failure goes too.
    const noRetention = dp(['elt', 'branches', '--prune', '--retention-days', '0'], env);
    expect({ code: noRetention.code, stderr: noRetention.stderr }).toMatchObject({ code: 0 });
    expect(await exists(freshFailure)).toEqual({ branch: false, catalog: false });
  });

  test('a bad retention is refused, naming the variable, and nothing is removed', async () => {
    const orphan = await fakeRun();
    const result = dp(['elt', 'branches', '--prune'], { DP_AUDIT_BRANCH_RETENTION_DAYS: 'a week' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Invalid DP_AUDIT_BRANCH_RETENTION_DAYS 'a week'/);
    expect(await exists(orphan)).toEqual({ branch: true, catalog: true });
  });
});
