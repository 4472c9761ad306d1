// Landing a month from an explicit source into the real object store: a URL served by a small local HTTP
// server, and a file uploaded the way `dp elt run --source <path>` does. Checked: bytes, hash and rows; no
// second download of the same version; a 404, a closed port, a server that never answers, a cut body, a
// redirect to another host, another schema and a tampered upload all fail with nothing landed for the month.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { listAllObjects, s3Client } from '../../../clients/s3';
import { LandingTransferError } from '../../../activities/elt/fetch';
import { fetchSourceToLanding, UnreachableSource } from '../../../activities/elt/fetch-source';
import { SourceRedirectRefused } from '../../../activities/elt/source-request';
import { checkLocalSourceFile, uploadSourceFile } from '../../../activities/elt/upload-source';
import { InvalidSourceFile } from '../../../activities/elt/invalid-source-file';
import { SourceSchemaError } from '../../../activities/elt/bronze/sql';
import type { FetchOutcome, MonthSource } from '../../../domain/elt';
import { landingKey, monthLandingPrefix } from '../../../domain/landing';
import { ensureS3Credentials } from '../../../platform/local/credentials';
import { ensureMirrorMonth, tripDataFile } from '../../../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths } from '../../../lib/config';
import { freePort } from '../../support/free-port';

const config = loadConfig();
const bucket = config.warehouseBucket;
const s3 = s3Client({ endpoint: endpoints(config).s3, ...ensureS3Credentials(paths(config).secrets) });
const messages: string[] = [];
let dir: string;
let server: http.Server;
let baseUrl: string;
let downloads = 0;
const RUN = `source-${randomBytes(3).toString('hex')}`;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-fetch-source-'));
  await ensureMirrorMonth(dir, '2025-07', { rows: 8_000, seed: 11 });
  fs.copyFileSync(tripDataFile(dir, '2025-07'), path.join(dir, 'july.parquet'));
  const table = tableFromArrays({ sensor_id: Int32Array.from([1, 2]), reading: [0.5, 1.5] });
  fs.writeFileSync(
    path.join(dir, 'sensors.parquet'),
    parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream'))),
  );
  process.on('unhandledRejection', onUnhandled);
  // Serves the files in `dir` with a content ETag, like a static file host; and a few misbehaving paths.
  server = http.createServer((req, res) => {
    if (req.url === '/silent.parquet') return; // never answers
    if (req.url === '/away.parquet') {
      return void res.writeHead(307, { location: 'http://localhost:1/july.parquet' }).end();
    }
    if (req.url === '/cut.parquet') {
      const body = fs.readFileSync(path.join(dir, 'july.parquet'));
      res.writeHead(200, { 'content-length': body.length, etag: '"cut"' });
      if (req.method === 'HEAD') return void res.end();
      return void res.write(body.subarray(0, 4096), () => setTimeout(() => req.socket.destroy(), 50));
    }
    const file = path.join(dir, path.basename(req.url ?? ''));
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    const body = fs.readFileSync(file);
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    res.writeHead(200, { 'content-length': body.length, etag });
    if (req.method === 'GET') downloads++;
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  s3.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

function land(month: string, source: MonthSource): Promise<FetchOutcome> {
  return fetchSourceToLanding({
    s3,
    bucket,
    month,
    runId: RUN,
    source,
    progress: (m) => messages.push(m),
    responseTimeoutMs: 1_500,
    idleTimeoutMs: 1_500,
  });
}

/** Nothing of this suite's run under the month's landing prefix (other suites land months under their own). */
async function expectNothingLanded(month: string) {
  const objects = await listAllObjects(s3, bucket, monthLandingPrefix(month));
  const ours = objects.filter((o) => o.Key?.slice(monthLandingPrefix(month).length).startsWith(`${RUN}/`));
  expect(ours).toEqual([]);
}

// Landing months no other integration test uses: the suite shares one platform, and another test's month
// (the Airflow test's 2025-08, say) would already have landed.
describe('landing a month from a URL', () => {
  test('lands the file with its hash and footer rows, then reuses the same version', async () => {
    const bytes = fs.readFileSync(path.join(dir, 'july.parquet'));
    const outcome = await land('2023-04', { kind: 'url', url: `${baseUrl}/july.parquet` });
    if (outcome.status !== 'landed') throw new Error('expected landed');
    expect(outcome.file).toMatchObject({
      key: landingKey('2023-04', RUN),
      sourceFile: 'july.parquet',
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      rows: 8_000,
      reused: false,
    });
    const again = await land('2023-04', { kind: 'url', url: `${baseUrl}/july.parquet` });
    expect(again.status === 'landed' && again.file.reused).toBe(true);
    expect(downloads).toBe(1);
  });

  test('a 404, a closed port and another schema fail for good, landing nothing', async () => {
    const missing = await land('2023-05', { kind: 'url', url: `${baseUrl}/nope.parquet` }).catch((e) => e);
    expect(missing).toBeInstanceOf(UnreachableSource);
    expect((missing as Error).message).toMatch(/HEAD .*nope\.parquet answered HTTP 404/);
    const port = await freePort();
    const closed = await land('2023-05', { kind: 'url', url: `http://127.0.0.1:${port}/x.parquet` }).catch(
      (e) => e,
    );
    expect(closed).toBeInstanceOf(UnreachableSource);
    expect((closed as Error).message).toMatch(/Cannot reach the source URL/);
    const other = await land('2023-05', { kind: 'url', url: `${baseUrl}/sensors.parquet` }).catch((e) => e);
    expect(other).toBeInstanceOf(SourceSchemaError);
    expect((other as Error).message).toMatch(/sensors\.parquet/);
    await expectNothingLanded('2023-05');
  });

  test('a server that never answers, a cut body and a redirect to another host fail, landing nothing', async () => {
    const started = Date.now();
    const silent = await land('2023-08', { kind: 'url', url: `${baseUrl}/silent.parquet` }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(silent).toBeInstanceOf(UnreachableSource);
    expect((silent as Error).message).toMatch(
      /Cannot reach the source URL .*silent\.parquet.*no response within 2 s/,
    );

    const cut = await land('2023-08', { kind: 'url', url: `${baseUrl}/cut.parquet` }).catch((e) => e);
    expect(cut).toBeInstanceOf(LandingTransferError);
    expect((cut as Error).message).toMatch(/cut\.parquet: (landing .* broke|received \d+ bytes)/);

    const away = await land('2023-08', { kind: 'url', url: `${baseUrl}/away.parquet` }).catch((e) => e);
    expect(away).toBeInstanceOf(SourceRedirectRefused);
    expect((away as Error).message).toMatch(/redirects to http:\/\/localhost:1, another host/);

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(unhandled).toEqual([]);
    await expectNothingLanded('2023-08');
  });
});

describe('landing an uploaded file', () => {
  test('the upload is checked, stored once under its hash, and landed as the month', async () => {
    const checked = await checkLocalSourceFile(path.join(dir, 'july.parquet'), '2023-06');
    const source = await uploadSourceFile(s3, bucket, checked, (m) => messages.push(m));
    await uploadSourceFile(s3, bucket, checked, (m) => messages.push(m));
    expect(messages.some((m) => /already in the object store/.test(m))).toBe(true);
    const outcome = await land('2023-06', source);
    if (outcome.status !== 'landed') throw new Error('expected landed');
    expect(outcome.file).toMatchObject({ rows: 8_000, sha256: checked.sha256, sourceFile: 'july.parquet' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: landingKey('2023-06', RUN) }));
    expect(head.Metadata?.sha256).toBe(checked.sha256);
    const again = await land('2023-06', source);
    expect(again.status === 'landed' && again.file.reused).toBe(true);
  });

  test('a tampered upload and a file that is not a trip file are refused', async () => {
    await expect(checkLocalSourceFile(path.join(dir, 'sensors.parquet'), '2023-07')).rejects.toBeInstanceOf(
      SourceSchemaError,
    );
    const checked = await checkLocalSourceFile(path.join(dir, 'july.parquet'), '2023-07');
    const fake = { ...checked, sha256: 'b'.repeat(64) };
    const source = await uploadSourceFile(s3, bucket, fake, () => undefined);
    if (source.kind !== 'uploaded') throw new Error('expected an upload');
    // The object under the claimed hash holds other bytes.
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: source.key, Body: fs.readFileSync(checked.file) }),
    );
    const failure = await land('2023-07', source).catch((e) => e);
    expect(failure).toBeInstanceOf(InvalidSourceFile);
    expect((failure as Error).message).toMatch(/has sha256 [0-9a-f]{64}, not the file's b{64}/);
    await expectNothingLanded('2023-07');
  });
});
