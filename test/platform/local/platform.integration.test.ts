// The embedded platform end to end: every component real, started by `dp up` in the global setup.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { NessieClient } from '../../../clients/nessie';
import { listAllObjects, s3Client } from '../../../clients/s3';
import { ensureS3Credentials } from '../../../platform/local/credentials';
import { readPid } from '../../../lib/process';
import { endpoints, loadConfig, paths } from '../../../lib/config';
import { connectClient } from '../../../worker/connection';
import { failedWorkflowsLastHour } from '../../support/failed-workflows';
import { dp, dpQuery } from '../../support/platform/dp';
import { createTestHome, TEST_PORTS } from '../../support/platform/test-platform';
import { sleep } from '../../../lib/time';

const config = () => loadConfig();

interface StatusJson {
  healthy: boolean;
  components: {
    component: string;
    healthy: boolean;
    pid?: number;
    detail: string;
    figures?: Record<string, number>;
  }[];
}

function status(): StatusJson {
  const result = dp(['status', '--json']);
  return JSON.parse(result.stdout) as StatusJson;
}

function healthOf(s: StatusJson, component: string) {
  const found = s.components.find((c) => c.component === component);
  if (!found) throw new Error(`status has no ${component}`);
  return found;
}

const TABLE = 'lakehouse.bronze.round_trip';
const ROWS = [
  { id: 1, name: 'alpha', amount: 10.25 },
  { id: 2, name: "o'brien", amount: -3.5 },
  { id: 3, name: 'gamma', amount: 0 },
];

function readRows() {
  return dpQuery<{ id: number; name: string; amount: number }>(
    `SELECT id, name, amount FROM ${TABLE} ORDER BY id`,
  );
}

async function bringUpRunIds(): Promise<string[]> {
  const client = await connectClient(config());
  try {
    const runs: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = 'platform-bring-up'` }))
      runs.push(w.runId);
    return runs;
  } finally {
    await client.connection.close();
  }
}

describe('the embedded platform', () => {
  test('dp status --json lists every component as healthy after dp up', () => {
    const s = status();
    for (const component of ['temporal', 'worker', 'objectstore', 'nessie', 'trino']) {
      expect(healthOf(s, component)).toMatchObject({ healthy: true });
      expect(healthOf(s, component).pid).toBeGreaterThan(0);
    }
    expect(s.healthy).toBe(true);
  });

  test("dp status shows Trino's queries and workers from its own metrics, and failed workflows from Temporal", async () => {
    const s = status();
    // One Trino process that is coordinator and worker; the status query itself is not a Trino query.
    const nodes = dpQuery<{ n: number }>(
      "SELECT count(*) AS n FROM system.runtime.nodes WHERE state = 'active'",
    );
    expect(healthOf(s, 'trino').figures).toEqual({
      'running queries': 0,
      'queued queries': 0,
      workers: Number(nodes[0].n),
    });
    expect(healthOf(s, 'temporal').figures).toEqual({
      'failed workflows 1h': await failedWorkflowsLastHour(
        endpoints(config()).temporal,
        config().temporalNamespace,
      ),
    });
  });

  test('credentials are generated per install and readable by their owner only', () => {
    const file = path.join(paths(config()).secrets, 's3.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const nessieProps = path.join(paths(config()).conf('nessie'), 'config', 'application.properties');
    expect(fs.statSync(nessieProps).mode & 0o777).toBe(0o600);
  });

  test('round trip: create an Iceberg table, insert, read back; files in S3, table in Nessie main', async () => {
    expect(dp(['query', `CREATE TABLE ${TABLE} (id bigint, name varchar, amount double)`]).code).toBe(0);
    const values = ROWS.map((r) => `(${r.id}, '${r.name.replace(/'/g, "''")}', ${r.amount})`).join(', ');
    const insert = dp(['query', `INSERT INTO ${TABLE} VALUES ${values}`]);
    expect(insert.stderr).toBe('');
    expect(insert.code).toBe(0);
    expect(readRows()).toEqual(ROWS);

    const csv = dp(['query', '--csv', `SELECT id, name FROM ${TABLE} ORDER BY id`]);
    expect(csv.stdout.trim().split('\n')).toEqual(['id,name', '1,alpha', "2,o'brien", '3,gamma']);

    const c = config();
    const s3 = s3Client({ endpoint: endpoints(c).s3, ...ensureS3Credentials(paths(c).secrets) });
    const objects = await listAllObjects(s3, c.warehouseBucket, 'bronze/round_trip');
    s3.destroy();
    const keys = objects.map((o) => o.Key ?? '');
    expect(keys.some((k) => /\/data\/.+\.parquet$/.test(k))).toBe(true);
    expect(keys.some((k) => /\/metadata\/.+\.metadata\.json$/.test(k))).toBe(true);

    const entries = await new NessieClient(endpoints(c).nessieApi).entries('main');
    const tables = entries.filter((e) => e.type === 'ICEBERG_TABLE').map((e) => e.name.elements.join('.'));
    expect(tables).toContain('bronze.round_trip');
  });

  test('invalid SQL exits non-zero with the Trino message', () => {
    const result = dp(['query', 'SELEC 1']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/SYNTAX_ERROR/);
    expect(result.stderr).toMatch(/mismatched input 'SELEC'/);
    const missing = dp(['query', 'SELECT * FROM lakehouse.bronze.no_such_table']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/TABLE_NOT_FOUND/);
  });

  test('the bring-up is idempotent: on a healthy platform it adopts everything and changes nothing', async () => {
    const nessie = new NessieClient(endpoints(config()).nessieApi);
    const before = await nessie.getReference('main');
    const pidsBefore = status().components.map((c) => c.pid);
    const result = dp(['up']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\[objectstore\] adopted/);
    expect(result.stderr).toMatch(/\[nessie\] adopted/);
    expect(result.stderr).toMatch(/\[trino\] adopted/);
    expect((await nessie.getReference('main'))?.hash).toBe(before?.hash);
    expect(status().components.map((c) => c.pid)).toEqual(pidsBefore);
  });

  test('self-healing: a killed Trino and Nessie are brought back by the bring-up, data intact', async () => {
    const c = config();
    for (const component of ['trino', 'nessie']) {
      const pid = readPid(paths(c).pid(component))?.pid;
      expect(pid).toBeDefined();
      process.kill(pid as number, 'SIGKILL');
    }
    await sleep(1000);
    const broken = status();
    expect(healthOf(broken, 'trino').healthy).toBe(false);
    expect(healthOf(broken, 'nessie').healthy).toBe(false);
    expect(healthOf(broken, 'objectstore').healthy).toBe(true);

    // The platform watch may have begun restarting them already: the bring-up then waits for that start and
    // adopts the component, so either word shows it came back.
    const result = dp(['up']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\[trino\] (started|adopted)/);
    expect(result.stderr).toMatch(/\[nessie\] (started|adopted)/);
    expect(result.stderr).toMatch(/\[objectstore\] adopted/);
    expect(status().healthy).toBe(true);
    expect(readRows()).toEqual(ROWS);
  });

  test('dp up names the port and the component when a port is taken, and starts nothing', async () => {
    const blocker = net.createServer();
    const takenPort = 29980;
    await new Promise<void>((resolve) => blocker.listen(takenPort, '127.0.0.1', resolve));
    const shifted = Object.fromEntries(Object.entries(TEST_PORTS).map(([k, v]) => [k, v + 5]));
    const home = createTestHome('dp-port-', {
      ...TEST_PORTS,
      ...shifted,
      trino: takenPort,
    } as typeof TEST_PORTS);
    try {
      const result = dp(['up'], { DP_HOME: home });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(new RegExp(`Port ${takenPort} \\(trino\\), needed by Trino`));
      expect(result.stderr).toMatch(/DP_PORT_TRINO/);
      expect(fs.existsSync(path.join(home, 'run'))).toBe(false);
    } finally {
      blocker.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('durability: after dp down and dp up the table, its rows and the earlier bring-up runs remain', async () => {
    const runsBefore = await bringUpRunIds();
    expect(runsBefore.length).toBeGreaterThanOrEqual(2);

    const down = dp(['down']);
    expect(down.code).toBe(0);
    const stopped = status();
    expect(stopped.components.every((c) => !c.healthy)).toBe(true);

    const up = dp(['up']);
    expect(up.code).toBe(0);
    expect(status().healthy).toBe(true);
    expect(readRows()).toEqual(ROWS);

    const runsAfter = await bringUpRunIds();
    for (const run of runsBefore) expect(runsAfter).toContain(run);
    expect(runsAfter.length).toBe(runsBefore.length + 1);
  });
});
