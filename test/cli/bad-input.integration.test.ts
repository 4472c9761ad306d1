// The bad-input matrix (README, "The monthly ELT"), end to end: `dp elt run` per case, with small generated
// files given as a path or served by a misbehaving HTTP server on loopback. Each case must exit 1, name the
// problem and what to do, and publish nothing: Nessie main's hash, read from Nessie's API, is unchanged.
// Month parsing and key naming are pure and covered case by case in test/domain/ (months, month-source,
// landing, names).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { NessieClient } from '../../clients/nessie';
import { ensureMirrorMonth } from '../../infra/local/tlc-mirror';
import { endpoints, loadConfig } from '../../lib/config';
import { dpAsync } from '../support/platform/dp';
import { TEST_SOURCE_PORT } from '../support/platform/test-platform';

const config = loadConfig();
const nessie = new NessieClient(endpoints(config).nessieApi);
/** A month no other integration test publishes. */
const MONTH = '2024-02';
const ROWS = 2_000;
const baseUrl = `http://127.0.0.1:${TEST_SOURCE_PORT}`;
let dir: string;
let server: http.Server;

async function mainHash(): Promise<string> {
  const main = await nessie.getReference('main');
  if (!main) throw new Error('Nessie has no main branch');
  return main.hash;
}

function readArrow(file: string): Table {
  return tableFromIPC(parquet.readParquet(new Uint8Array(fs.readFileSync(file))).intoIPCStream());
}

function writeArrow(table: Table, file: string): string {
  fs.writeFileSync(file, parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream'))));
  return file;
}

/** The table's columns by name, changed by `edit`, as a new table (columns keep their order). */
function editColumns(table: Table, edit: (columns: Map<string, Vector>) => void): Table {
  const columns = new Map(table.schema.fields.map((f) => [f.name, table.getChild(f.name) as Vector]));
  edit(columns);
  return new Table(Object.fromEntries(columns));
}

/** Runs `dp elt run` expecting a refusal: exit 1, the message, and main where it was. */
async function expectRefused(args: string[], message: RegExp): Promise<string> {
  const before = await mainHash();
  const result = await dpAsync(['elt', 'run', ...args]);
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.code !== 1 || !message.test(result.stderr)) {
    const expected = `expected exit 1 and ${message}, got ${result.code}`;
    throw new Error(`dp elt run ${args.join(' ')}: ${expected}:\n${output}`);
  }
  expect(result.stdout).not.toMatch(/published to main/);
  expect(await mainHash()).toBe(before);
  return result.stderr;
}

const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-bad-input-'));
  const good = (await ensureMirrorMonth(path.join(dir, 'mirror'), MONTH, { rows: ROWS, seed: 31 })).file;
  const bytes = fs.readFileSync(good);
  fs.writeFileSync(file('truncated.parquet'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  fs.writeFileSync(file('empty.parquet'), Buffer.alloc(0));
  fs.writeFileSync(file('notes.parquet'), 'pickup,dropoff\n1,2\n');
  // A valid footer over data pages overwritten with garbage: only reading the data tells.
  const corrupt = Buffer.from(bytes);
  const dataEnd = corrupt.length - 8 - corrupt.readUInt32LE(corrupt.length - 8);
  corrupt.fill(0xa5, Math.floor(dataEnd * 0.3), Math.floor(dataEnd * 0.7));
  fs.writeFileSync(file('corrupt.parquet'), corrupt);
  const zero = (await ensureMirrorMonth(path.join(dir, 'zero'), MONTH, { rows: 0, seed: 1 })).file;
  fs.copyFileSync(zero, file('zero-rows.parquet'));

  const table = readArrow(good);
  writeArrow(
    editColumns(table, (c) => c.delete('VendorID')),
    file('missing-column.parquet'),
  );
  writeArrow(
    editColumns(table, (c) => {
      const fares = c.get('fare_amount') as Vector;
      const asText = Array.from(fares.toArray() as Float64Array, (v) => String(v));
      c.set('fare_amount', vectorFromArray(asText, new Utf8()));
    }),
    file('wrong-type.parquet'),
  );
  // The green-taxi layout: lpep_ timestamps instead of tpep_, and columns of its own.
  writeArrow(
    editColumns(table, (c) => {
      for (const [from, to] of [
        ['tpep_pickup_datetime', 'lpep_pickup_datetime'],
        ['tpep_dropoff_datetime', 'lpep_dropoff_datetime'],
      ]) {
        c.set(to, c.get(from) as Vector);
        c.delete(from);
      }
      c.set('trip_type', vectorFromArray(Array.from({ length: table.numRows }, () => 1)));
    }),
    file('green_tripdata_2024-02.parquet'),
  );

  // Serves the files above, and misbehaves on purpose on a few paths.
  server = http.createServer((req, res) => {
    const name = path.basename(req.url ?? '');
    if (name === 'silent.parquet') return; // never answers
    if (name === 'forbidden.parquet') return void res.writeHead(403).end();
    if (name === 'away.parquet') {
      return void res.writeHead(302, { location: 'http://localhost:1/away.parquet' }).end();
    }
    if (!/^[a-z0-9_.-]+$/.test(name) || !fs.existsSync(file(name))) return void res.writeHead(404).end();
    const body = fs.readFileSync(file(name));
    res.writeHead(200, { 'content-length': body.length, etag: `"${name}-${body.length}"` });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(TEST_SOURCE_PORT, '127.0.0.1', resolve));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('bad months', () => {
  test.each([
    ['malformed', '2025-13', /Invalid month '2025-13': use YYYY-MM, e\.g\. 2025-03/],
    ['SQL injection', "2025-02' OR '1'='1", /Invalid month '2025-02' OR '1'='1': use YYYY-MM/],
    ['path injection', '../../etc/passwd', /Invalid month '\.\.\/\.\.\/etc\/passwd': use YYYY-MM/],
    ['before 2023', '2022-12', /Month 2022-12 is not supported: the pipeline loads 2023-01 and later/],
    ['in the future', '2099-01', /Month 2099-01 is in the future .*Run it once it is published/],
  ])('%s (%s) is refused before anything starts', async (_case, month, message) => {
    await expectRefused(['--month', month], message);
  });
});

describe('bad files given as a path (checked by the CLI before any workflow starts)', () => {
  const CHECK_AND_RUN_AGAIN = /run the month again/;
  test.each([
    ['truncated', 'truncated.parquet', /truncated\.parquet is not a valid Parquet file/],
    ['empty', 'empty.parquet', /empty\.parquet is not a valid Parquet file \(0 bytes/],
    ['not Parquet', 'notes.parquet', /notes\.parquet is not a valid Parquet file/],
    ['without rows', 'zero-rows.parquet', /zero-rows\.parquet has no rows: loading it would empty/],
    ['missing a column', 'missing-column.parquet', /missing-column\.parquet .*missing column VendorID/],
    ['of a wrong type', 'wrong-type.parquet', /column fare_amount has type \w*Utf8, which does not widen/],
    ['of another family', 'green_tripdata_2024-02.parquet', /green_tripdata_2024-02\.parquet does not/],
  ])('a %s file is refused, naming it', async (_case, name, message) => {
    const stderr = await expectRefused(['--month', MONTH, '--source', file(name)], message);
    expect(stderr).toMatch(/Nothing was started; main is unchanged/);
    if (name !== 'zero-rows.parquet') expect(stderr).toMatch(CHECK_AND_RUN_AGAIN);
  });

  test('injection strings in the path reach no SQL: there is no such file', async () => {
    const stderr = await expectRefused(
      ['--month', MONTH, '--source', "x'; DROP TABLE bronze.yellow_trips; --.parquet"],
      /There is no file at .*x'; DROP TABLE bronze\.yellow_trips; --\.parquet\. Give --source the path/,
    );
    expect(stderr).toMatch(/main is unchanged/);
    await expectRefused(
      ['--month', MONTH, '--source', '../../../../../../etc/passwd'],
      /\/etc\/passwd is not a valid Parquet file/,
    );
  });

  test('a file with corrupt data pages but a valid footer fails in Bronze, on the run branch', async () => {
    const stderr = await expectRefused(
      ['--month', MONTH, '--source', file('corrupt.parquet')],
      /has unreadable data \(corrupt Parquet pages\?\)/,
    );
    expect(stderr).toMatch(/the ELT for 2024-02 failed; main is unchanged/);
  });
});

describe('bad URL sources (fetched by the worker)', () => {
  test.each([
    ['credentials', 'http://user:secret@127.0.0.1/x.parquet', /Invalid source URL .*without credentials/],
    ['SQL and spaces', `${baseUrl}/x'; DROP TABLE t.parquet`, /Invalid source URL .*or spaces/],
    ['another scheme', 'file:///etc/passwd', /Unsupported source URL scheme 'file:'/],
  ])('a URL with %s in it is refused by the CLI', async (_case, url, message) => {
    await expectRefused(['--month', MONTH, '--source', url], message);
  });

  test.each([
    ['HTTP 404', 'nope.parquet', /HEAD .*nope\.parquet answered HTTP 404: .*Check the URL/],
    ['HTTP 403', 'forbidden.parquet', /HEAD .*forbidden\.parquet answered HTTP 403/],
    ['a redirect to another host', 'away.parquet', /redirects to http:\/\/localhost:1, another host/],
    ['a truncated file', 'truncated.parquet', /truncated\.parquet is not a valid Parquet file/],
    ['an empty file', 'empty.parquet', /empty\.parquet is not a valid Parquet file \(0 bytes/],
    ['a file without rows', 'zero-rows.parquet', /zero-rows\.parquet has no rows/],
    ['a missing column', 'missing-column.parquet', /missing column VendorID\. Give a TLC yellow-taxi/],
    ['a wrong type', 'wrong-type.parquet', /column fare_amount has type \w*Utf8/],
    ['another family', 'green_tripdata_2024-02.parquet', /green_tripdata_2024-02\.parquet does not/],
  ])('%s fails the run for good at the fetch stage', async (_case, name, message) => {
    const stderr = await expectRefused(['--month', MONTH, '--source', `${baseUrl}/${name}`], message);
    expect(stderr).toMatch(/the ELT for 2024-02 failed; main is unchanged/);
    expect(stderr).toMatch(/run the month again/);
  });

  test('a server that never answers fails after the response limit (20 s), not the activity timeout', async () => {
    const started = Date.now();
    await expectRefused(
      ['--month', MONTH, '--source', `${baseUrl}/silent.parquet`],
      /Cannot reach the source URL .*silent\.parquet .*no response within 20 s/,
    );
    expect(Date.now() - started).toBeLessThan(120_000);
  });
});
