// Fetching months from a TLC mirror into the real object store: streamed, hashed, footer read, landed under
// the run's own key, copied instead of downloaded when an earlier run landed the same version, fetched again
// when re-issued; unpublished and corrupt months are told apart. A source that misbehaves (cuts the body,
// stalls, never answers, redirects to another host) fails the activity with a typed error, within a bounded
// time, leaving no .partial object and no unhandled rejection that would take a worker down.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { listAllObjects, s3Client } from '../../../clients/s3';
import { fetchMonthToLanding, LandingTransferError } from '../../../activities/elt/fetch';
import { InvalidSourceFile } from '../../../activities/elt/invalid-source-file';
import { SourceRedirectRefused, SourceRequestError } from '../../../activities/elt/source-request';
import type { FetchOutcome } from '../../../domain/elt';
import { landingKey, monthLandingPrefix } from '../../../domain/landing';
import { ensureS3Credentials } from '../../../platform/local/credentials';
import {
  ensureMirrorMonth,
  reissueMonth,
  startTlcMirror,
  tripDataFile,
} from '../../../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths } from '../../../lib/config';

const config = loadConfig();
const bucket = config.warehouseBucket;
const s3 = s3Client({ endpoint: endpoints(config).s3, ...ensureS3Credentials(paths(config).secrets) });
const suffix = randomBytes(3).toString('hex');
/** Run ids of this suite's own: keys no other suite lands under. */
const run = (name: string) => `${name}-${suffix}`;
const DAY = 24 * 60 * 60 * 1000;
let mirrorDir: string;
let mirror: { url: string; close(): Promise<void> };
const messages: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  mirrorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-mirror-'));
  await ensureMirrorMonth(mirrorDir, '2025-02', { rows: 30_000, seed: 7 });
  mirror = await startTlcMirror({ dir: mirrorDir, port: 0 });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await mirror.close();
  s3.destroy();
  fs.rmSync(mirrorDir, { recursive: true, force: true });
});

function fetchMonth(
  month: string,
  runId: string,
  extra: Partial<Parameters<typeof fetchMonthToLanding>[0]> = {},
): Promise<FetchOutcome> {
  return fetchMonthToLanding({
    s3,
    bucket,
    baseUrl: mirror.url,
    month,
    runId,
    progress: (m) => messages.push(m),
    partSize: 5 * 1024 * 1024, // several parts even for a small file: exercises multipart upload
    ...extra,
  });
}

async function landedBytes(key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

/**
 * This suite's objects under the month's landing prefix (landed files and .partial uploads). Other suites
 * share the platform's object store and land the same months under their own runs, in an order that depends
 * on how jest schedules the files, so their keys are not this suite's to judge.
 */
async function keysOfMonth(month: string): Promise<string[]> {
  const ownRun = (key: string) =>
    key.slice(monthLandingPrefix(month).length).split('/')[0].endsWith(`-${suffix}`);
  return (await listAllObjects(s3, bucket, monthLandingPrefix(month)))
    .map((o) => o.Key as string)
    .filter(ownRun)
    .sort();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('fetching a month into the landing area', () => {
  test("lands the file byte for byte under the run's key, with its sha256 and footer row count", async () => {
    const outcome = await fetchMonth('2025-02', run('a'));
    if (outcome.status !== 'landed') throw new Error(`expected landed, got ${outcome.status}`);
    const source = fs.readFileSync(tripDataFile(mirrorDir, '2025-02'));
    const key = `landing/yellow/2025-02/${run('a')}/yellow_tripdata_2025-02.parquet`;
    expect(outcome.file.key).toBe(key);
    expect(outcome.file.reused).toBe(false);
    expect(outcome.file.bytes).toBe(source.length);
    expect(outcome.file.sha256).toBe(sha256(source));
    expect(outcome.file.rows).toBe(30_000);
    expect((await landedBytes(key)).equals(source)).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.Metadata?.rows).toBe('30000');
    expect(await exists(`${key}.partial`)).toBe(false);
  });

  test('a retried fetch of the same run reuses its own landing', async () => {
    const outcome = await fetchMonth('2025-02', run('a'));
    expect(outcome.status === 'landed' && outcome.file.reused).toBe(true);
    expect(outcome.status === 'landed' && outcome.file.key).toBe(landingKey('2025-02', run('a')));
  });

  test("another run copies an earlier run's landing of the same version instead of downloading it", async () => {
    // Object times have whole seconds: make this run's copy the newer one, as it is in real life.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const outcome = await fetchMonth('2025-02', run('b'));
    if (outcome.status !== 'landed') throw new Error('expected landed');
    const source = fs.readFileSync(tripDataFile(mirrorDir, '2025-02'));
    expect(outcome.file).toMatchObject({
      key: landingKey('2025-02', run('b')),
      reused: true,
      sha256: sha256(source),
      rows: 30_000,
      bytes: source.length,
    });
    expect(messages.some((m) => m.includes(`already landed by run ${run('a')}`))).toBe(true);
    // Both runs have their own object, and run b's is a full copy (bytes and metadata).
    expect((await landedBytes(landingKey('2025-02', run('b')))).equals(source)).toBe(true);
    expect((await landedBytes(landingKey('2025-02', run('a')))).equals(source)).toBe(true);
    const copied = landingKey('2025-02', run('b'));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: copied }));
    expect(head.Metadata?.sha256).toBe(sha256(source));
  });

  test("a week later, a new run prunes older runs' landings but keeps the newest one", async () => {
    const later = new Date(Date.now() + 8 * DAY);
    const outcome = await fetchMonth('2025-02', run('c'), { now: () => later });
    expect(outcome.status === 'landed' && outcome.file.reused).toBe(true);
    expect(await exists(landingKey('2025-02', run('a')))).toBe(false);
    expect(await exists(landingKey('2025-02', run('b')))).toBe(true); // the newest of the others
    expect(await exists(landingKey('2025-02', run('c')))).toBe(true);
  });

  test('fetches a re-issued file again', async () => {
    await reissueMonth(mirrorDir, '2025-02');
    const outcome = await fetchMonth('2025-02', run('d'));
    if (outcome.status !== 'landed') throw new Error('expected landed');
    expect(outcome.file.reused).toBe(false);
    const source = fs.readFileSync(tripDataFile(mirrorDir, '2025-02'));
    expect(outcome.file.sha256).toBe(sha256(source));
    expect((await landedBytes(landingKey('2025-02', run('d')))).equals(source)).toBe(true);
  });

  test('reports a month the source does not have as not published', async () => {
    expect(await fetchMonth('2025-09', run('a'))).toEqual({ status: 'not-published', httpStatus: 404 });
  });

  test('a truncated source file fails as invalid, naming the file', async () => {
    await ensureMirrorMonth(mirrorDir, '2025-06', { rows: 5_000, seed: 3 });
    const file = tripDataFile(mirrorDir, '2025-06');
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    const failure = await fetchMonth('2025-06', run('a')).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InvalidSourceFile);
    expect((failure as Error).message).toMatch(
      /yellow_tripdata_2025-06\.parquet is not a valid Parquet file/,
    );
    // Nothing was promoted to the landing key, and no partial upload is left.
    expect(await keysOfMonth('2025-06')).toEqual([]);
  });

  test('a run id that could leave the landing folder is refused before anything is fetched', async () => {
    for (const runId of ['../../uploads', 'a/b', '']) {
      await expect(fetchMonth('2025-02', runId)).rejects.toThrow(/Invalid run id/);
    }
  });
});

// A source that misbehaves on purpose, one month per behaviour; HEAD answers normally unless said otherwise.
describe('a misbehaving source fails the activity, not the worker', () => {
  let server: http.Server;
  let baseUrl: string;
  let file: Buffer;
  const sockets = new Set<import('node:net').Socket>();

  beforeAll(async () => {
    const dir = path.join(mirrorDir, 'misbehaving');
    file = fs.readFileSync((await ensureMirrorMonth(dir, '2024-05', { rows: 20_000, seed: 5 })).file);
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      const month = /yellow_tripdata_(\d{4}-\d{2})\.parquet/.exec(url)?.[1];
      const headers = { 'content-length': file.length, etag: `"${month}"`, 'last-modified': 'x' };
      if (month === '2024-03') return; // never answers, not even HEAD
      if (url.startsWith('/elsewhere/') || url.startsWith('/moved/')) {
        res.writeHead(200, headers);
        return void res.end(req.method === 'HEAD' ? undefined : file);
      }
      if (month === '2024-04') {
        // Another host: the worker must not follow it (and sends nothing there).
        res.writeHead(302, { location: `http://localhost:1/elsewhere/yellow_tripdata_${month}.parquet` });
        return void res.end();
      }
      if (month === '2024-05') {
        res.writeHead(301, { location: `/moved/yellow_tripdata_${month}.parquet` });
        return void res.end();
      }
      if (req.method === 'HEAD') return void res.writeHead(200, headers).end();
      if (month === '2024-01') {
        // A connection reset a third of the way into the body.
        res.writeHead(200, headers);
        const third = file.subarray(0, Math.floor(file.length / 3));
        res.write(third, () => setTimeout(() => req.socket.destroy(), 50));
        return;
      }
      if (month === '2024-02') {
        // Headers, a little data, then silence.
        res.writeHead(200, headers);
        res.write(file.subarray(0, 1000));
        return;
      }
      res.writeHead(404).end();
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const fetchFrom = (month: string) =>
    fetchMonth(month, run('bad'), { baseUrl, responseTimeoutMs: 1_500, idleTimeoutMs: 1_500 });

  /** Lets a rejection that nobody handled surface (Node reports them after the microtask queue drains). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  test('a body cut mid-stream fails with LandingTransferError, leaving no .partial object', async () => {
    const failure = await fetchFrom('2024-01').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LandingTransferError);
    // Reported as a broken transfer (or, should the body just end early, as too few bytes): retried.
    expect((failure as Error).message).toMatch(
      /yellow_tripdata_2024-01\.parquet: (landing http:\/\/127\.0\.0\.1.* broke|received \d+ bytes)/,
    );
    expect((failure as Error).message).toMatch(/the activity retries it/);
    await settle();
    expect(unhandled).toEqual([]);
    expect(await keysOfMonth('2024-01')).toEqual([]);
  });

  test('a body that stalls fails after the idle limit, not at the activity timeout', async () => {
    const started = Date.now();
    const failure = await fetchFrom('2024-02').catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(failure).toBeInstanceOf(LandingTransferError);
    expect((failure as Error).message).toMatch(/sent no data for 2 s after 0\.0 MiB; gave up on the stalled/);
    await settle();
    expect(unhandled).toEqual([]);
    expect(await keysOfMonth('2024-02')).toEqual([]);
  });

  test('a server that never answers fails after the response limit', async () => {
    const started = Date.now();
    const failure = await fetchFrom('2024-03').catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(failure).toBeInstanceOf(SourceRequestError);
    expect((failure as Error).message).toMatch(
      /HEAD http:\/\/127\.0\.0\.1:\d+\/trip-data\/yellow_tripdata_2024-03\.parquet: no response within 2 s/,
    );
    await settle();
    expect(unhandled).toEqual([]);
    expect(await keysOfMonth('2024-03')).toEqual([]);
  });

  test('a redirect to another host is refused for good; one on the same host is followed', async () => {
    const refused = await fetchFrom('2024-04').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SourceRedirectRefused);
    expect(refused).toBeInstanceOf(InvalidSourceFile); // fails the activity without retries
    expect((refused as Error).message).toMatch(
      /redirects to http:\/\/localhost:1, another host than http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(await keysOfMonth('2024-04')).toEqual([]);

    const followed = await fetchFrom('2024-05');
    if (followed.status !== 'landed') throw new Error('expected landed');
    expect(followed.file.sha256).toBe(sha256(file));
    expect((await landedBytes(landingKey('2024-05', run('bad')))).equals(file)).toBe(true);
    expect(unhandled).toEqual([]);
  });
});
