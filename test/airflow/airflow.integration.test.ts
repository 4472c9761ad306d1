// The Airflow DAG nyc_yellow_trips against the real platform: the same mirror month loaded by the Temporal
// workflow and then by Airflow (`dp airflow run`, i.e. `airflow dags test`) gives the same Gold rows, both
// equal to the independent reference computation over the month's Parquet file, and the Airflow run
// replaced the month rather than adding to it, in one Bronze snapshot; a Bronze load that fails before its
// commit leaves main and the object store as they were.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { NessieClient } from '../../clients/nessie';
import { BRONZE_LINEAGE_COLUMNS, BRONZE_SOURCE_COLUMNS } from '../../domain/bronze-schema';
import { TrinoClient } from '../../clients/trino';
import { airflowEnv, AIRFLOW_DAGS_DIR } from '../../platform/local/airflow';
import { ensureS3Credentials } from '../../platform/local/credentials';
import { listAllObjects, s3Client } from '../../clients/s3';
import { pythonToolBin } from '../../infra/local/install-python-tools';
import { endpoints, loadConfig, paths, REPO_ROOT } from '../../lib/config';
import { expectMonthMatchesReference } from '../support/expect-reference';
import { countRows, diffGold, goldOf, lakehouseTables, readGold } from '../support/lakehouse-check';
import { loadMirroredMonth } from '../support/platform/mirrored-month';
import { computeReference } from '../support/reference-elt';
import { tripDataFile, ZONE_LOOKUP_SEED } from '../../infra/local/tlc-mirror';
import { tlcMirrorDir } from '../../platform/local/services';
import { dp, dpAsync } from '../support/platform/dp';

const config = loadConfig();
const trino = new TrinoClient(endpoints(config).trino, { source: 'airflow.test' });
const nessie = new NessieClient(endpoints(config).nessieApi);
const tables = lakehouseTables(config.catalog);
// A month no other test file loads, so the comparison sees only this file's two runs.
const MONTH = '2025-08';
const ROWS = '20000';
const SEED = '202508';

async function counts(month: string) {
  return {
    bronze: await countRows(trino, tables.bronze, month),
    silver: await countRows(trino, tables.silver, month),
    rejected: await countRows(trino, tables.rejected, month),
  };
}

interface BronzeSnapshot {
  snapshotId: string;
  operation: string;
  summary: Record<string, string>;
}

/** Every snapshot of bronze.yellow_trips on main, oldest first (Iceberg's $snapshots metadata table). */
async function bronzeSnapshots(): Promise<BronzeSnapshot[]> {
  const rows = await trino.queryObjects(
    `SELECT CAST(snapshot_id AS varchar) AS snapshot_id, operation, summary
     FROM ${config.catalog}.bronze."yellow_trips$snapshots" ORDER BY committed_at`,
  );
  return rows.map((r) => ({
    snapshotId: String(r.snapshot_id),
    operation: String(r.operation),
    summary: r.summary as Record<string, string>,
  }));
}

/** The object-store keys of the month's Bronze data files (every table version's, live or not). */
async function bronzeMonthObjects(month: string): Promise<string[]> {
  const s3 = s3Client({ endpoint: endpoints(config).s3, ...ensureS3Credentials(paths(config).secrets) });
  const objects = await listAllObjects(s3, config.warehouseBucket, 'bronze/');
  // Keys ending in '/' are empty directory markers (Arrow's S3 filesystem creates one when it deletes a
  // file), not data.
  return objects
    .map((o) => o.Key as string)
    .filter((key) => key.includes(`/source_month=${month}/`) && !key.endsWith('/'))
    .sort();
}

async function references(prefix: string, type: 'BRANCH' | 'TAG'): Promise<string[]> {
  const response = await fetch(`${endpoints(config).nessieApi}/trees`);
  const body = (await response.json()) as { references: { name: string; type: string }[] };
  return body.references.filter((r) => r.type === type && r.name.startsWith(prefix)).map((r) => r.name);
}

describe('the Airflow DAG nyc_yellow_trips', () => {
  test(
    'a month loaded by Temporal and then by Airflow has the same Gold rows; the re-run replaces it',
    async () => {
      const reference = await loadMirroredMonth(MONTH, ROWS, SEED);
      const goldByTemporal = await readGold(trino, tables, MONTH);
      expect(goldByTemporal.monthlySummary).toHaveLength(1);
      expect(diffGold(goldByTemporal, goldOf(reference))).toEqual([]);
      const countsByTemporal = await counts(MONTH);
      expect(countsByTemporal.bronze).toBe(reference.bronzeRows);
      expect(countsByTemporal.silver).toBe(reference.silverRows);
      const tagByTemporal = await nessie.getReference(`yellow-trips-${MONTH}`);
      const snapshotsBefore = await bronzeSnapshots();

      // Not spawnSync: a run of minutes would block the event loop, and the next Trino request would reuse a
      // keep-alive socket Trino closed meanwhile ("other side closed").
      const airflow = await dpAsync([
        'airflow',
        'run',
        '--month',
        MONTH,
        '--mirror',
        '--rows',
        ROWS,
        '--seed',
        SEED,
      ]);
      if (airflow.code !== 0) throw new Error(`dp airflow run failed:\n${airflow.stdout}\n${airflow.stderr}`);
      expect(airflow.stdout).toMatch(new RegExp(`nyc_yellow_trips ${MONTH}: success`));

      // Same Gold rows as the Temporal run (and as the reference); counts unchanged: nothing duplicated.
      const goldByAirflow = await readGold(trino, tables, MONTH);
      expect(diffGold(goldByAirflow, goldByTemporal)).toEqual([]);
      expect(diffGold(goldByAirflow, goldOf(reference))).toEqual([]);
      expect(await counts(MONTH)).toEqual(countsByTemporal);
      await expectMonthMatchesReference(trino, tables, MONTH, reference);

      // Bronze took one snapshot: an overwrite that removed the Temporal run's rows of the month and added
      // the file's rows (the row counts computed from the Parquet by the reference), nothing else.
      const known = new Set(snapshotsBefore.map((snapshot) => snapshot.snapshotId));
      const added = (await bronzeSnapshots()).filter((snapshot) => !known.has(snapshot.snapshotId));
      expect(added).toHaveLength(1);
      expect(added[0].operation).toBe('overwrite');
      expect(added[0].summary['dp.source-month']).toBe(MONTH);
      expect(added[0].summary['dp.run-id']).toMatch(/^airflow:manual__/);
      expect(Number(added[0].summary['added-records'])).toBe(reference.bronzeRows);
      expect(Number(added[0].summary['deleted-records'])).toBe(reference.bronzeRows);

      // The rows on main are Airflow's now (the month was replaced, not left as it was): one run's lineage.
      const lineage = await trino.queryObjects(
        `SELECT count(DISTINCT run_id) AS runs, min(run_id) AS run_id FROM ${tables.bronze} WHERE source_month = '${MONTH}'`,
      );
      expect(Number(lineage[0].runs)).toBe(1);
      expect(String(lineage[0].run_id)).toMatch(/^airflow:manual__/);
      const silverLineage = await trino.queryObjects(
        `SELECT count(*) AS rows FROM ${tables.silver} WHERE source_month = '${MONTH}' AND run_id NOT LIKE 'airflow:%'`,
      );
      expect(Number(silverLineage[0].rows)).toBe(0);

      // Published like the Temporal workflow: the month's tag moved to main; the run's branch and catalog gone.
      const tag = await nessie.getReference(`yellow-trips-${MONTH}`);
      expect(tag?.hash).not.toBe(tagByTemporal?.hash);
      expect(tag?.hash).toBe((await nessie.getReference('main'))?.hash);
      expect(await references(`airflow-yellow-trips-${MONTH}-`, 'BRANCH')).toEqual([]);
      const catalogs = await trino.catalogs();
      expect(catalogs.filter((c) => c.startsWith(`af_${MONTH.replace('-', '_')}_`))).toEqual([]);
    },
    15 * 60_000,
  ); // two full month loads, and the first Airflow start of a run migrates its database

  test('a Bronze load that fails before its commit leaves main and the object store as they were', async () => {
    // The file the first test's Airflow run landed, with a footer count one higher than the file's rows:
    // the load writes the whole month into data files, then refuses to commit them.
    const reference = await computeReference(
      tripDataFile(tlcMirrorDir(config), MONTH),
      MONTH,
      ZONE_LOOKUP_SEED,
    );
    const landed = {
      month: MONTH,
      key: `landing/airflow/yellow/yellow_tripdata_${MONTH}.parquet`,
      source_file: `yellow_tripdata_${MONTH}.parquet`,
      sha256: 'f'.repeat(64),
      rows: reference.bronzeRows + 1,
    };
    const mainBefore = (await nessie.getReference('main'))?.hash;
    const snapshotsBefore = await bronzeSnapshots();
    const objectsBefore = await bronzeMonthObjects(MONTH);
    expect(objectsBefore.length).toBeGreaterThan(0);
    const python = pythonToolBin(config.cacheDir, 'airflow', 'python');
    const result = spawnSync(
      python,
      [
        path.join(REPO_ROOT, 'test', 'support', 'airflow_bronze_load.py'),
        AIRFLOW_DAGS_DIR,
        JSON.stringify(landed),
        'main',
      ],
      { env: airflowEnv(config), encoding: 'utf8', timeout: 300_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`read ${reference.bronzeRows} rows but the footer says ${reference.bronzeRows + 1}`),
    );
    expect((await nessie.getReference('main'))?.hash).toBe(mainBefore);
    expect(await bronzeSnapshots()).toEqual(snapshotsBefore);
    expect(await bronzeMonthObjects(MONTH)).toEqual(objectsBefore); // its data files were deleted again
    expect(await countRows(trino, tables.bronze, MONTH)).toBe(reference.bronzeRows);
  }, 300_000);

  test('a month the source does not have fails the run and leaves main unchanged', async () => {
    const mainBefore = (await nessie.getReference('main'))?.hash;
    // The mirror serves 404 for months it has not generated; 2025-11 is generated by no test.
    const result = dp(['airflow', 'run', '--month', '2025-11'], {
      DP_TLC_BASE_URL: endpoints(config).tlcMirror,
    });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/HTTP 404: the month is not published yet/);
    expect(result.stderr).toMatch(/nyc_yellow_trips for 2025-11 ended failed; main is unchanged/);
    expect((await nessie.getReference('main'))?.hash).toBe(mainBefore);
    expect(await references('airflow-yellow-trips-2025-11-', 'BRANCH')).toEqual([]);
  });

  test('an invalid month is refused before anything runs', () => {
    const result = dp(['airflow', 'run', '--month', '2025-13']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Invalid month '2025-13'/);
  });
});

describe('the DAG file, parsed by Airflow', () => {
  interface DagCheck {
    import_errors: Record<string, string>;
    parsed_files: string[];
    schedule: string;
    catchup: boolean;
    max_active_runs: number;
    tasks: Record<string, { upstream: string[]; retries: number; timeout_s: number | null }>;
    validation: Record<string, string>;
    normalised: { columns: string[]; rows: number; [column: string]: unknown };
    missing_column: string;
    branch_names: string[];
  }
  let check: DagCheck;

  beforeAll(() => {
    const python = pythonToolBin(config.cacheDir, 'airflow', 'python');
    const result = spawnSync(
      python,
      [path.join(REPO_ROOT, 'test', 'support', 'airflow_dag_check.py'), AIRFLOW_DAGS_DIR],
      { env: airflowEnv(config), encoding: 'utf8', timeout: 120_000 },
    );
    if (result.status !== 0) throw new Error(`airflow_dag_check.py failed:\n${result.stderr}`);
    check = JSON.parse(result.stdout.trim().split('\n').pop() as string) as DagCheck;
  });

  test('parses without errors: monthly on the 1st, no catchup, one run at a time', () => {
    expect(check.import_errors).toEqual({});
    expect(check.parsed_files).toEqual(['nyc_yellow_trips_dag.py']); // not the library in yellow_trips/
    expect(check.schedule).toBe('0 6 1 * *');
    expect(check.catchup).toBe(false);
    expect(check.max_active_runs).toBe(1);
  });

  test('fetch, branch, Bronze, dbt, check, publish in that order, each with retries and a timeout', () => {
    const order = ['resolve_month', 'fetch', 'open_branch', 'load_bronze', 'dbt_build', 'check', 'publish'];
    expect(Object.keys(check.tasks).sort()).toEqual([...order].sort());
    for (let i = 1; i < order.length; i++) expect(check.tasks[order[i]].upstream).toContain(order[i - 1]);
    for (const [task, spec] of Object.entries(check.tasks)) {
      expect({ task, retries: spec.retries >= 1 }).toEqual({ task, retries: true });
      expect({ task, timeout: (spec.timeout_s ?? 0) > 0 }).toEqual({ task, timeout: true });
    }
  });

  test('the month is validated before it reaches a URL, a path or SQL', () => {
    expect(check.validation['2025-03']).toBe('ok:2025-03');
    for (const bad of ['2025-13', '2022-12', '2026-12', '2025-3', "2025-03'; DROP", '202503']) {
      expect(check.validation[bad]).toMatch(/^refused:/);
    }
  });

  test('Bronze rows get the canonical schema of the Temporal path, lineage included', () => {
    const arrowType: Record<string, string> = {
      bigint: 'int64',
      double: 'double',
      varchar: 'string',
      'timestamp(6)': 'timestamp[us]',
      'timestamp(6) with time zone': 'timestamp[us, tz=UTC]',
    };
    const expected = [...BRONZE_SOURCE_COLUMNS, ...BRONZE_LINEAGE_COLUMNS].map(
      (c) => `${c.name}:${arrowType[c.type]}`,
    );
    expect(check.normalised.columns).toEqual(expected);
    expect(check.normalised.passenger_count).toEqual([1, null, 3]); // int64 in 2024 files, widened
    expect(check.normalised.airport_fee).toEqual([0, 0, 1.75]); // read from Airport_fee
    expect(check.normalised.cbd_congestion_fee).toEqual([null, null, null]); // absent before 2025
    expect(check.normalised.source_month).toEqual(['2024-06', '2024-06', '2024-06']);
    expect(check.missing_column).toMatch(/missing column PULocationID/);
  });

  test('branch and catalog names are safe Nessie refs and SQL identifiers', () => {
    const [branch, catalog] = check.branch_names;
    expect(branch).toMatch(/^airflow-yellow-trips-2025-03-[0-9a-f]{10}$/);
    expect(catalog).toMatch(/^af_2025_03_[0-9a-f]{10}$/);
  });
});
