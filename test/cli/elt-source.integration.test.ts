// `dp elt run --source`: a month loaded from a local Parquet file (uploaded to the object store first, as a
// worker in a pod needs) is published with every Bronze, Silver and Gold figure equal to the independent
// reference; the same file again does not duplicate rows; bad input fails at once and leaves main as it was.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { NessieClient } from '../../clients/nessie';
import { TrinoClient } from '../../clients/trino';
import {
  ensureMirrorMonth,
  startTlcMirror,
  tripDataFile,
  ZONE_LOOKUP_SEED,
} from '../../infra/local/tlc-mirror';
import { endpoints, loadConfig, REPO_ROOT } from '../../lib/config';
import { lakehouseTables } from '../support/lakehouse-check';
import { expectMonthMatchesReference } from '../support/expect-reference';
import { computeReference, type ReferenceResult } from '../support/reference-elt';
import { freePort } from '../support/free-port';
import { dp } from '../support/platform/dp';
import { TEST_SOURCE_PORT } from '../support/platform/test-platform';

const config = loadConfig();
const trino = new TrinoClient(endpoints(config).trino, { source: 'elt-source.test' });
const nessie = new NessieClient(endpoints(config).nessieApi);
const tables = lakehouseTables(config.catalog);
const MONTH = '2025-04';
const ROWS = 20_000;

let dir: string;
let sourceFile: string;
let reference: ReferenceResult;

async function mainHash(): Promise<string> {
  return (await nessie.getReference('main'))?.hash as string;
}

async function expectMainMatchesReference() {
  await expectMonthMatchesReference(trino, tables, MONTH, reference);
}

/** A valid Parquet file that is not a trip file. */
function writeOtherParquet(file: string) {
  const table = tableFromArrays({ sensor_id: Int32Array.from([1, 2, 3]), reading: [0.5, 1.5, 2.5] });
  fs.writeFileSync(file, parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream'))));
}

/** Runs `dp elt run` expected to fail, and checks it failed quickly, said why, and main did not move. */
async function expectRefused(source: string, message: RegExp, withinMs: number) {
  const before = await mainHash();
  const started = Date.now();
  const result = dp(['elt', 'run', '--month', '2025-05', '--source', source]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/main is unchanged/);
  expect(Date.now() - started).toBeLessThan(withinMs);
  expect(await mainHash()).toBe(before);
}

/** `dp` in a child process without blocking this one (which may be serving what the worker fetches). */
function dpAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), ...args], {
      env: process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-elt-source-'));
  await ensureMirrorMonth(dir, MONTH, { rows: ROWS, seed: 4242 });
  // Under a name of the user's own: it becomes the rows' lineage.
  sourceFile = path.join(dir, 'april-trips.parquet');
  fs.copyFileSync(tripDataFile(dir, MONTH), sourceFile);
  reference = await computeReference(sourceFile, MONTH, ZONE_LOOKUP_SEED);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('dp elt run --source', () => {
  test('a local file is uploaded, loaded as the month and published; Bronze, Silver and Gold match the reference', async () => {
    const result = dp(['elt', 'run', '--month', MONTH, '--source', sourceFile]);
    // Uploaded now, or by an earlier run on a kept test platform (DP_TEST_HOME): the generator is deterministic.
    expect(result.stderr).toMatch(
      /uploaded april-trips\.parquet|april-trips\.parquet is already in the object/,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`${MONTH} published to main`));
    expect(result.stdout).toMatch(/Audit passed/);
    await expectMainMatchesReference();
    const [lineage] = await trino.queryObjects(
      `SELECT DISTINCT source_file FROM ${tables.bronze} WHERE source_month = '${MONTH}'`,
    );
    expect(lineage.source_file).toBe('april-trips.parquet');
  });

  test('the same file again is not uploaded again and does not duplicate a row', async () => {
    const result = dp(['elt', 'run', '--month', MONTH, '--source', sourceFile]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/already in the object store/);
    await expectMainMatchesReference();
  });

  test('bad input fails at once, names the problem and leaves main unchanged', async () => {
    const notParquet = path.join(dir, 'notes.parquet');
    fs.writeFileSync(notParquet, 'pickup,dropoff\n1,2\n');
    await expectRefused(notParquet, /notes\.parquet is not a valid Parquet file/, 30_000);

    const otherSchema = path.join(dir, 'sensors.parquet');
    writeOtherParquet(otherSchema);
    await expectRefused(otherSchema, /sensors\.parquet.*(tpep_pickup_datetime|column)/s, 30_000);

    await expectRefused(path.join(dir, 'missing.parquet'), /There is no file at .*missing\.parquet/, 30_000);
    await expectRefused('ftp://example.org/yellow.parquet', /Unsupported source URL scheme 'ftp:'/, 30_000);
    // Nothing listens on the port the test platform's worker allows: its fetch fails for good, not after retries.
    await expectRefused(
      `http://127.0.0.1:${TEST_SOURCE_PORT}/yellow.parquet`,
      /Cannot reach the source URL http:\/\/127\.0\.0\.1/,
      90_000,
    );
  });

  test('a URL on a host the worker allows (sourceAllowedHosts) is fetched, loaded and published', async () => {
    // The test platform's config allows 127.0.0.1:TEST_SOURCE_PORT, as a user would allow a host of theirs.
    const server = await startTlcMirror({ dir, port: TEST_SOURCE_PORT, host: '127.0.0.1' });
    try {
      const url = `${server.url}/trip-data/yellow_tripdata_${MONTH}.parquet`;
      // Not dp(): its spawnSync would block this process, and with it the server the worker fetches from.
      const result = await dpAsync(['elt', 'run', '--month', MONTH, '--source', url]);
      expect(result.stderr).not.toMatch(/does not fetch from/);
      expect(result.stderr + `\nexit ${result.code}`).toMatch(/\nexit 0$/);
    } finally {
      await server.close();
    }
    await expectMainMatchesReference();
    const [lineage] = await trino.queryObjects(
      `SELECT DISTINCT source_file FROM ${tables.bronze} WHERE source_month = '${MONTH}'`,
    );
    // The URL's file name, not the uploaded file's: the month was replaced from the URL.
    expect(lineage.source_file).toBe(`yellow_tripdata_${MONTH}.parquet`);
  });

  test('a URL whose host the worker does not allow is refused before any fetch, saying how to allow it', async () => {
    // Another port of an allowed address: allowed hosts match host and port exactly.
    const port = await freePort();
    await expectRefused(
      `http://127.0.0.1:${port}/yellow.parquet`,
      new RegExp(`does not fetch from 127\\.0\\.0\\.1:${port}.*DP_SOURCE_ALLOWED_HOSTS`, 's'),
      30_000,
    );
    // A name that never resolves: were it fetched, the error would be "Cannot reach".
    await expectRefused(
      'https://trips.example.invalid/yellow.parquet',
      /does not fetch from trips\.example\.invalid: .*sourceAllowedHosts/s,
      30_000,
    );
  });
});
