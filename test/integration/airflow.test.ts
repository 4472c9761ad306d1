// The Airflow DAG nyc_yellow_trips against the real platform: the same mirror month loaded by the Temporal
// workflow and then by Airflow (`dp airflow run`, i.e. `airflow dags test`) gives the same Gold rows, both
// equal to the independent reference computation over the month's Parquet file, and the Airflow run
// replaced the month rather than adding to it.
import { NessieClient } from '../../activities/nessie/client';
import { TrinoClient } from '../../activities/trino/client';
import { tlcMirrorDir } from '../../infra/local/services';
import { tripDataFile, ZONE_LOOKUP_SEED } from '../../infra/local/tlc-mirror';
import { endpoints, loadConfig } from '../../lib/config';
import { countRows, diffGold, goldOf, lakehouseTables, readGold } from '../support/lakehouse-check';
import { computeReference } from '../support/reference-elt';
import { dp } from './dp';

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

async function references(prefix: string, type: 'BRANCH' | 'TAG'): Promise<string[]> {
  const response = await fetch(`${endpoints(config).nessieApi}/trees`);
  const body = (await response.json()) as { references: { name: string; type: string }[] };
  return body.references.filter((r) => r.type === type && r.name.startsWith(prefix)).map((r) => r.name);
}

describe('the Airflow DAG nyc_yellow_trips', () => {
  test(
    'a month loaded by Temporal and then by Airflow has the same Gold rows; the re-run replaces it',
    async () => {
      const temporal = dp(['elt', 'run', '--month', MONTH, '--mirror', '--rows', ROWS, '--seed', SEED]);
      if (temporal.code !== 0) throw new Error(`dp elt run failed:\n${temporal.stdout}\n${temporal.stderr}`);
      const reference = await computeReference(
        tripDataFile(tlcMirrorDir(config), MONTH),
        MONTH,
        ZONE_LOOKUP_SEED,
      );
      const goldByTemporal = await readGold(trino, tables, MONTH);
      expect(goldByTemporal.monthlySummary).toHaveLength(1);
      expect(diffGold(goldByTemporal, goldOf(reference))).toEqual([]);
      const countsByTemporal = await counts(MONTH);
      expect(countsByTemporal.bronze).toBe(reference.bronzeRows);
      expect(countsByTemporal.silver).toBe(reference.silverRows);
      const tagByTemporal = await nessie.getReference(`yellow-trips-${MONTH}`);

      const airflow = dp(['airflow', 'run', '--month', MONTH, '--mirror', '--rows', ROWS, '--seed', SEED]);
      if (airflow.code !== 0) throw new Error(`dp airflow run failed:\n${airflow.stdout}\n${airflow.stderr}`);
      expect(airflow.stdout).toMatch(new RegExp(`nyc_yellow_trips ${MONTH}: success`));

      // Same Gold rows as the Temporal run (and as the reference); counts unchanged: nothing duplicated.
      const goldByAirflow = await readGold(trino, tables, MONTH);
      expect(diffGold(goldByAirflow, goldByTemporal)).toEqual([]);
      expect(diffGold(goldByAirflow, goldOf(reference))).toEqual([]);
      expect(await counts(MONTH)).toEqual(countsByTemporal);

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
      const catalogs = (await trino.query('SHOW CATALOGS')).rows.map((r) => String(r[0]));
      expect(catalogs.filter((c) => c.startsWith(`af_${MONTH.replace('-', '_')}_`))).toEqual([]);
    },
    15 * 60_000,
  ); // two full month loads, and the first Airflow start of a run migrates its database

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
