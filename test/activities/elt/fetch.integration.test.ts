// Fetching months from a TLC mirror into the real object store: streamed, hashed, footer read, skipped
// when unchanged, fetched again when re-issued; unpublished and corrupt months are told apart.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { listAllObjects, s3Client } from '../../../clients/s3';
import { fetchMonthToLanding, landingKey } from '../../../activities/elt/fetch';
import { InvalidSourceFile } from '../../../activities/elt/invalid-source-file';
import type { FetchOutcome } from '../../../domain/elt';
import { ensureS3Credentials } from '../../../platform/local/credentials';
import {
  ensureMirrorMonth,
  reissueMonth,
  startTlcMirror,
  tripDataFile,
} from '../../../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths } from '../../../lib/config';

const config = loadConfig();
const s3 = s3Client({ endpoint: endpoints(config).s3, ...ensureS3Credentials(paths(config).secrets) });
let mirrorDir: string;
let mirror: { url: string; close(): Promise<void> };
const messages: string[] = [];

beforeAll(async () => {
  mirrorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-mirror-'));
  await ensureMirrorMonth(mirrorDir, '2025-02', { rows: 30_000, seed: 7 });
  mirror = await startTlcMirror({ dir: mirrorDir, port: 0 });
});

afterAll(async () => {
  await mirror.close();
  s3.destroy();
  fs.rmSync(mirrorDir, { recursive: true, force: true });
});

function fetchMonth(month: string): Promise<FetchOutcome> {
  return fetchMonthToLanding({
    s3,
    bucket: config.warehouseBucket,
    baseUrl: mirror.url,
    month,
    progress: (m) => messages.push(m),
    partSize: 5 * 1024 * 1024, // several parts even for a small file: exercises multipart upload
  });
}

async function landedBytes(month: string): Promise<Buffer> {
  const object = await s3.send(
    new GetObjectCommand({ Bucket: config.warehouseBucket, Key: landingKey(month) }),
  );
  return Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

describe('fetching a month into the landing area', () => {
  test('lands the file byte for byte with its sha256 and footer row count', async () => {
    const outcome = await fetchMonth('2025-02');
    if (outcome.status !== 'landed') throw new Error(`expected landed, got ${outcome.status}`);
    const source = fs.readFileSync(tripDataFile(mirrorDir, '2025-02'));
    expect(outcome.file.reused).toBe(false);
    expect(outcome.file.bytes).toBe(source.length);
    expect(outcome.file.sha256).toBe(createHash('sha256').update(source).digest('hex'));
    expect(outcome.file.rows).toBe(30_000);
    expect((await landedBytes('2025-02')).equals(source)).toBe(true);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: config.warehouseBucket, Key: landingKey('2025-02') }),
    );
    expect(head.Metadata?.rows).toBe('30000');
  });

  test('does not download the same source version again', async () => {
    const outcome = await fetchMonth('2025-02');
    expect(outcome.status === 'landed' && outcome.file.reused).toBe(true);
    expect(messages.some((m) => /already landed/.test(m))).toBe(true);
  });

  test('fetches a re-issued file again', async () => {
    await reissueMonth(mirrorDir, '2025-02');
    const outcome = await fetchMonth('2025-02');
    if (outcome.status !== 'landed') throw new Error('expected landed');
    expect(outcome.file.reused).toBe(false);
    const source = fs.readFileSync(tripDataFile(mirrorDir, '2025-02'));
    expect(outcome.file.sha256).toBe(createHash('sha256').update(source).digest('hex'));
    expect((await landedBytes('2025-02')).equals(source)).toBe(true);
  });

  test('reports a month the source does not have as not published', async () => {
    expect(await fetchMonth('2025-09')).toEqual({ status: 'not-published', httpStatus: 404 });
  });

  test('a truncated source file fails as invalid, naming the file', async () => {
    await ensureMirrorMonth(mirrorDir, '2025-06', { rows: 5_000, seed: 3 });
    const file = tripDataFile(mirrorDir, '2025-06');
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    const failure = await fetchMonth('2025-06').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InvalidSourceFile);
    expect((failure as Error).message).toMatch(
      /yellow_tripdata_2025-06\.parquet is not a valid Parquet file/,
    );
    // Nothing was promoted to the landing key.
    const leftovers = await listAllObjects(s3, config.warehouseBucket, landingKey('2025-06'));
    expect(leftovers).toEqual([]);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: config.warehouseBucket, Key: landingKey('2025-06') })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});
