// Fetching a month's TLC trip file into the object store's landing area.
//
// The file is streamed from the source to a multipart upload (never held in memory), hashed on the way,
// and tee'd to a temporary local file only to read the Parquet footer (row count, validity). The landed
// object carries the source version (ETag, Last-Modified, size) in its metadata, so an unchanged source is
// not downloaded again and a re-issued one is.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { FetchOutcome, LandedFile, SourceVersion } from '../../domain/elt';
import { validMonth } from '../../domain/months';
import { InvalidSourceFile } from './invalid-source-file';

export const LANDING_PREFIX = 'landing/yellow';

export function sourceFileName(month: string): string {
  return `yellow_tripdata_${validMonth(month)}.parquet`;
}

export function sourceUrl(baseUrl: string, month: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/trip-data/${sourceFileName(month)}`;
}

export function landingKey(month: string): string {
  return `${LANDING_PREFIX}/${sourceFileName(month)}`;
}

export interface FetchOptions {
  s3: S3Client;
  bucket: string;
  baseUrl: string;
  month: string;
  progress: (message: string) => void;
  /** Multipart part size; 16 MiB keeps memory small (a few parts in flight). */
  partSize?: number;
}

function versionOf(response: Response): SourceVersion {
  return {
    etag: response.headers.get('etag') ?? '',
    lastModified: response.headers.get('last-modified') ?? '',
    size: Number(response.headers.get('content-length') ?? -1),
  };
}

export async function landedVersion(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ version: SourceVersion; sha256: string; rows: number; bytes: number } | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const m = head.Metadata ?? {};
    if (!m['source-etag'] && !m['source-last-modified']) return undefined;
    return {
      version: {
        etag: m['source-etag'] ?? '',
        lastModified: m['source-last-modified'] ?? '',
        size: Number(m['source-size'] ?? -1),
      },
      sha256: m['sha256'] ?? '',
      rows: Number(m['rows'] ?? -1),
      bytes: head.ContentLength ?? -1,
    };
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return undefined;
    throw err;
  }
}

function sameVersion(a: SourceVersion, b: SourceVersion): boolean {
  return a.etag === b.etag && a.lastModified === b.lastModified && a.size === b.size;
}

/** Row count from the Parquet footer; throws InvalidSourceFile when the file is not valid Parquet. */
export async function parquetFooterRows(file: string, label: string): Promise<number> {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(8);
    if (size >= 12) {
      fs.readSync(fd, head, 0, 4, 0);
      fs.readSync(fd, tail, 0, 8, size - 8);
    }
    if (size < 12 || head.toString('latin1') !== 'PAR1' || tail.subarray(4).toString('latin1') !== 'PAR1') {
      throw new InvalidSourceFile(
        `${label} is not a valid Parquet file (${size} bytes; missing the PAR1 magic at its start or end: ` +
          'truncated or corrupt). Check the source, or re-publish the file, then run the month again.',
      );
    }
  } finally {
    fs.closeSync(fd);
  }
  const { ParquetFile } = await import('parquet-wasm');
  try {
    const parquet = await ParquetFile.fromFile(await fs.openAsBlob(file));
    const rows = parquet.metadata().fileMetadata().numRows();
    parquet.free();
    return rows;
  } catch (err) {
    throw new InvalidSourceFile(
      `${label} has an unreadable Parquet footer: ${(err as Error).message ?? err}`,
    );
  }
}

/** Counts bytes and hashes them as they pass. */
function meter(onBytes: (total: number) => void) {
  const hash = createHash('sha256');
  let total = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
  return { transform, digest: () => hash.digest('hex'), total: () => total };
}

export async function fetchMonthToLanding(options: FetchOptions): Promise<FetchOutcome> {
  const { s3, bucket, month, progress } = options;
  const url = sourceUrl(options.baseUrl, month);
  const key = landingKey(month);
  const label = sourceFileName(month);

  const headResponse = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(30_000) });
  if (headResponse.status === 403 || headResponse.status === 404) {
    return { status: 'not-published', httpStatus: headResponse.status };
  }
  if (!headResponse.ok) throw new Error(`HEAD ${url}: HTTP ${headResponse.status}`);
  const sourceVersion = versionOf(headResponse);
  const place = { month, bucket, key, sourceFile: label, sourceUrl: url };

  const landed = await landedVersion(s3, bucket, key);
  if (landed && sameVersion(landed.version, sourceVersion) && landed.rows >= 0) {
    progress(`${label}: the same source version is already landed (${key}); not downloading it again`);
    return landedOutcome(place, {
      bytes: landed.bytes,
      sha256: landed.sha256,
      rows: landed.rows,
      version: sourceVersion,
      reused: true,
    });
  }

  const response = await fetch(url, { signal: AbortSignal.timeout(30 * 60_000) });
  if (response.status === 403 || response.status === 404)
    return { status: 'not-published', httpStatus: response.status };
  if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const version = versionOf(response);
  const file = await landStream({
    s3,
    bucket,
    key,
    label,
    sourceUrl: url,
    body: webBody(response),
    version,
    progress,
    partSize: options.partSize,
  });
  return landedOutcome(place, { ...file, version, reused: false });
}

/** The outcome for a landed object, whether it was already there (reused) or has just been landed. */
export function landedOutcome(
  place: Pick<LandedFile, 'month' | 'bucket' | 'key' | 'sourceFile' | 'sourceUrl'>,
  file: Pick<LandedFile, 'bytes' | 'sha256' | 'rows' | 'version' | 'reused'>,
): FetchOutcome {
  return { status: 'landed', file: { ...place, ...file } };
}

export function webBody(response: Response): Readable {
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

export interface LandStreamOptions {
  s3: S3Client;
  bucket: string;
  /** The landing key; the bytes go to `<key>.partial` first and are promoted once checked. */
  key: string;
  /** The file's name in messages. */
  label: string;
  /** Where the bytes came from, recorded in the object's metadata. */
  sourceUrl: string;
  body: Readable;
  version: SourceVersion;
  progress: (message: string) => void;
  partSize?: number;
  /** Further checks of the checked, not yet promoted upload (its key given); throwing keeps it out. */
  check?: (partialKey: string, landed: { sha256: string; rows: number }) => Promise<void>;
}

/**
 * Streams `body` to `<key>.partial` (multipart), hashing it and copying it to a temporary file for the
 * footer; checks the size against the version, the footer's row count and `check`; then promotes it to
 * `key` with the version, hash and rows in its metadata. A file that fails a check is deleted.
 */
export async function landStream(
  options: LandStreamOptions,
): Promise<{ bytes: number; sha256: string; rows: number }> {
  const { s3, bucket, key, label, version, progress } = options;
  const expected = version.size;
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-fetch-'));
  const localCopy = path.join(tmpDir, 'source.parquet');
  try {
    let lastReport = 0;
    const counter = meter((total) => {
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        const pct = expected > 0 ? ` (${((100 * total) / expected).toFixed(0)}%)` : '';
        progress(`${label}: ${(total / 1048576).toFixed(1)} MiB downloaded${pct}`);
      }
    });
    const toS3 = new PassThrough();
    const toDisk = fs.createWriteStream(localCopy);
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: `${key}.partial`, Body: toS3, ContentType: 'application/octet-stream' },
      partSize: options.partSize ?? 16 * 1024 * 1024,
      queueSize: 2,
    });
    const uploaded = upload.done();
    const tee = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        toDisk.write(chunk);
        callback(null, chunk);
      },
    });
    await pipeline(options.body, counter.transform, tee, toS3);
    await new Promise<void>((resolve, reject) =>
      toDisk.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    await uploaded;
    const bytes = counter.total();
    const sha256 = counter.digest();
    let rows: number;
    try {
      if (expected >= 0 && bytes !== expected) {
        // A connection cut mid-transfer: a retry can succeed.
        throw new Error(
          `${label}: received ${bytes} bytes but the source announced ${expected}; the download broke`,
        );
      }
      rows = await parquetFooterRows(localCopy, label);
      await options.check?.(`${key}.partial`, { sha256, rows });
    } catch (err) {
      await deleteObject(s3, bucket, `${key}.partial`);
      throw err;
    }
    // Promote the upload under its final key, with the source version recorded.
    await copyWithMetadata(s3, bucket, `${key}.partial`, key, {
      'source-etag': version.etag,
      'source-last-modified': version.lastModified,
      'source-size': String(version.size),
      'source-url': options.sourceUrl,
      sha256,
      rows: String(rows),
    });
    progress(
      `${label}: landed ${(bytes / 1048576).toFixed(1)} MiB, ${rows} rows, sha256 ${sha256.slice(0, 12)}...`,
    );
    return { bytes, sha256, rows };
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

async function deleteObject(s3: S3Client, bucket: string, key: string) {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

async function copyWithMetadata(
  s3: S3Client,
  bucket: string,
  from: string,
  to: string,
  metadata: Record<string, string>,
) {
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: to,
      CopySource: `${bucket}/${from}`,
      Metadata: metadata,
      MetadataDirective: 'REPLACE',
    }),
  );
  await deleteObject(s3, bucket, from);
}
