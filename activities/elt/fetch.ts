// Fetching a month's TLC trip file into the object store's landing area, under a key of the run's own
// (domain/landing.ts).
//
// The file is streamed from the source to a multipart upload (never held in memory), hashed on the way,
// and tee'd to a temporary local file only to read the Parquet footer (row count, validity). The landed
// object carries the source version (ETag, Last-Modified, size) in its metadata, so an unchanged source
// already landed by an earlier run is copied inside the object store instead of downloaded again, and a
// re-issued one is downloaded. Every failure of the transfer (the source's body, the local copy, the upload)
// fails the activity with a typed error; none may escape as an unhandled rejection or 'error' event, which
// would take the whole worker down.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { listAllObjects } from '../../clients/s3';
import type { FetchOutcome, LandedFile, SourceVersion } from '../../domain/elt';
import {
  landedObjectsToPrune,
  landingKey,
  landingRunOf,
  monthLandingPrefix,
  sourceFileName,
} from '../../domain/landing';
import { InvalidSourceFile } from './invalid-source-file';
import { fetchSameOrigin } from './source-request';

/**
 * A source that stops sending for this long is given up on (the activity then retries). Below the activity's
 * 30 s heartbeat timeout: progress, hence heartbeats, only comes with bytes.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 20_000;
/** Earlier runs' landed files looked at for one with the same source version. */
const REUSE_CANDIDATES = 5;

export function sourceUrl(baseUrl: string, month: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/trip-data/${sourceFileName(month)}`;
}

/** The transfer of the source into the landing area broke (body, local copy or upload): a retry may pass. */
export class LandingTransferError extends Error {
  override name = 'LandingTransferError';
}

/** Options shared by both fetches (TLC and --source). */
export interface TransferOptions {
  /** Aborts the requests and the download (the activity's cancellation signal). */
  signal?: AbortSignal;
  /** Limit on the wait for a response's headers; default 20 s. */
  responseTimeoutMs?: number;
  /** Limit on a pause in the body's bytes; default 20 s. */
  idleTimeoutMs?: number;
  /** Multipart part size; 16 MiB keeps memory small (a few parts in flight). */
  partSize?: number;
  /** The time landed files of other runs are pruned against (tests move it forward). */
  now?: () => Date;
}

export interface FetchOptions extends TransferOptions {
  s3: S3Client;
  bucket: string;
  baseUrl: string;
  month: string;
  /** The workflow run the file is landed for: part of the landing key. */
  runId: string;
  progress: (message: string) => void;
}

export function versionOf(response: Response): SourceVersion {
  return {
    etag: response.headers.get('etag') ?? '',
    lastModified: response.headers.get('last-modified') ?? '',
    size: Number(response.headers.get('content-length') ?? -1),
  };
}

export interface LandedObjectInfo {
  version: SourceVersion;
  /** Where the bytes came from (the object's source-url metadata). */
  sourceUrl: string;
  /** The object's metadata as stored, for a copy of it. */
  metadata: Record<string, string>;
  sha256: string;
  rows: number;
  bytes: number;
}

export async function landedVersion(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<LandedObjectInfo | undefined> {
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
      sourceUrl: m['source-url'] ?? '',
      metadata: m,
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

export function sameVersion(a: SourceVersion, b: SourceVersion): boolean {
  return a.etag === b.etag && a.lastModified === b.lastModified && a.size === b.size;
}

/**
 * The landing of an unchanged source for this run without downloading it: this run's own key when a
 * retried activity already landed it, else the newest earlier run's landed file that `matches`, copied to
 * `key` inside the object store. Undefined when there is none.
 */
export async function reuseLanded(
  s3: S3Client,
  bucket: string,
  month: string,
  key: string,
  matches: (landed: LandedObjectInfo) => boolean,
  progress: (message: string) => void,
): Promise<LandedObjectInfo | undefined> {
  const own = await landedVersion(s3, bucket, key);
  if (own && own.rows >= 0 && matches(own)) {
    progress(`${path.basename(key)}: this run already landed the same source version (${key})`);
    return own;
  }
  const earlier = (await listAllObjects(s3, bucket, monthLandingPrefix(month)))
    .filter((o) => o.Key !== undefined && o.Key !== key && landingRunOf(o.Key, month) !== undefined)
    .sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0))
    .slice(0, REUSE_CANDIDATES);
  for (const object of earlier) {
    const from = object.Key as string;
    const landed = await landedVersion(s3, bucket, from);
    if (!landed || landed.rows < 0 || !matches(landed)) continue;
    // The metadata is set explicitly rather than by MetadataDirective COPY, which not every store honours.
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: `${bucket}/${from}`,
        Metadata: landed.metadata,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/octet-stream',
      }),
    );
    progress(
      `${path.basename(key)}: the same source version is already landed by run ${landingRunOf(from, month)}; ` +
        `copied it to ${key} instead of downloading it again`,
    );
    return landed;
  }
  return undefined;
}

/** Deletes other runs' landed files of the month older than the retention (the newest stays); best effort. */
async function pruneEarlierLandings(
  s3: S3Client,
  bucket: string,
  month: string,
  runId: string,
  progress: (message: string) => void,
  now: Date = new Date(),
): Promise<string[]> {
  try {
    const objects = (await listAllObjects(s3, bucket, monthLandingPrefix(month))).flatMap((o) =>
      o.Key && o.LastModified ? [{ key: o.Key, lastModified: o.LastModified }] : [],
    );
    const stale = landedObjectsToPrune(objects, month, runId, now);
    for (const key of stale) await deleteObject(s3, bucket, key);
    if (stale.length > 0) progress(`pruned ${stale.length} landed file(s) of earlier runs of ${month}`);
    return stale;
  } catch (err) {
    // Old files cost disk, not correctness: the next landing of the month tries again.
    progress(`could not prune earlier landings of ${month}: ${(err as Error).message}`);
    return [];
  }
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
      `${label} has an unreadable Parquet footer: ${(err as Error).message ?? err}. Check the source, or ` +
        're-publish the file, then run the month again.',
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

/**
 * Passes bytes on; fails the stream when none arrive for `ms` (a source that stalls mid-body). While bytes
 * wait in it for a slow consumer (the upload), the source is not to blame: the limit starts again.
 */
function idleWatchdog(ms: number, describe: () => string): Transform {
  let timer: NodeJS.Timeout | undefined;
  const watchdog: Transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      arm();
      callback(null, chunk);
    },
    flush(callback) {
      clearTimeout(timer);
      callback();
    },
    destroy(err, callback) {
      clearTimeout(timer);
      callback(err);
    },
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (watchdog.readableLength > 0 || watchdog.writableLength > 0) arm();
      else watchdog.destroy(new LandingTransferError(describe()));
    }, ms);
  };
  arm();
  return watchdog;
}

/** Writes every chunk to `file` before passing it on; an error of the file fails this stream. */
function teeToFile(file: string): { tee: Transform; close: () => void } {
  const toDisk = fs.createWriteStream(file);
  const tee: Transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      toDisk.write(chunk, (err) => callback(err ?? null, chunk));
    },
    flush(callback) {
      toDisk.end(() => callback());
    },
  });
  // Without a listener, an 'error' of the write stream (disk full, say) would be thrown out of the worker.
  // The pipeline reports the tee's error; the no-op keeps one before the pipeline starts from escaping.
  toDisk.on('error', (err) => tee.destroy(err));
  tee.on('error', () => undefined);
  return { tee, close: () => toDisk.destroy() };
}

export async function fetchMonthToLanding(options: FetchOptions): Promise<FetchOutcome> {
  const { s3, bucket, month, progress } = options;
  const url = sourceUrl(options.baseUrl, month);
  const key = landingKey(month, options.runId);
  const label = sourceFileName(month);
  const request = (method: 'HEAD' | 'GET') =>
    fetchSameOrigin(url, { method, signal: options.signal, responseTimeoutMs: options.responseTimeoutMs });

  const headResponse = await request('HEAD');
  if (headResponse.status === 403 || headResponse.status === 404) {
    return { status: 'not-published', httpStatus: headResponse.status };
  }
  if (!headResponse.ok) throw new Error(`HEAD ${url}: HTTP ${headResponse.status}`);
  const sourceVersion = versionOf(headResponse);
  const place = { month, bucket, key, sourceFile: label, sourceUrl: url };

  const landed = await reuseLanded(
    s3,
    bucket,
    month,
    key,
    (l) => l.sourceUrl === url && sameVersion(l.version, sourceVersion),
    progress,
  );
  if (landed) {
    return landedOutcome(options, place, {
      bytes: landed.bytes,
      sha256: landed.sha256,
      rows: landed.rows,
      version: sourceVersion,
      reused: true,
    });
  }

  const response = await request('GET');
  if (response.status === 403 || response.status === 404) {
    await response.body?.cancel().catch(() => undefined);
    return { status: 'not-published', httpStatus: response.status };
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`GET ${url}: HTTP ${response.status}`);
  }
  const version = versionOf(response);
  const file = await landStream({
    ...options,
    key,
    label,
    sourceUrl: url,
    body: webBody(response),
    version,
  });
  return landedOutcome(options, place, { ...file, version, reused: false });
}

/** The outcome for a landed object, whether it was already there (reused) or has just been landed. */
/** The run's landed file, once other runs' older landed files of the month are pruned (best effort). */
export async function landedOutcome(
  run: Pick<FetchOptions, 's3' | 'bucket' | 'month' | 'runId' | 'progress' | 'now'>,
  place: Pick<LandedFile, 'month' | 'bucket' | 'key' | 'sourceFile' | 'sourceUrl'>,
  file: Pick<LandedFile, 'bytes' | 'sha256' | 'rows' | 'version' | 'reused'>,
): Promise<FetchOutcome> {
  await pruneEarlierLandings(run.s3, run.bucket, run.month, run.runId, run.progress, run.now?.());
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
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Further checks of the checked, not yet promoted upload (its key given); throwing keeps it out. */
  check?: (partialKey: string, landed: { sha256: string; rows: number }) => Promise<void>;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/**
 * Streams `body` to `<key>.partial` (multipart), hashing it and copying it to a temporary file for the
 * footer; checks the size against the version, the footer's row count and `check`; then promotes it to
 * `key` with the version, hash and rows in its metadata. Whatever fails, the `.partial` object is deleted;
 * a broken transfer throws LandingTransferError, a bad file InvalidSourceFile.
 */
export async function landStream(
  options: LandStreamOptions,
): Promise<{ bytes: number; sha256: string; rows: number }> {
  const { s3, bucket, key, label, version, progress } = options;
  const partialKey = `${key}.partial`;
  const expected = version.size;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-fetch-'));
  const localCopy = path.join(tmpDir, 'source.parquet');
  const disk = teeToFile(localCopy);
  let watchdog: Transform | undefined;
  try {
    let lastReport = 0;
    const counter = meter((total) => {
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        const pct = expected > 0 ? ` (${((100 * total) / expected).toFixed(0)}%)` : '';
        progress(`${label}: ${mib(total)} downloaded${pct}`);
      }
    });
    watchdog = idleWatchdog(
      idleMs,
      () =>
        `${label}: ${options.sourceUrl} sent no data for ${Math.round(idleMs / 1000)} s after ` +
        `${mib(counter.total())}; gave up on the stalled download`,
    );
    const toS3 = new PassThrough();
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: partialKey, Body: toS3, ContentType: 'application/octet-stream' },
      partSize: options.partSize ?? 16 * 1024 * 1024,
      queueSize: 2,
    });
    // The upload and the download are awaited together: a failed upload stops the download (and the other
    // way round) instead of leaving one of them pending or rejecting with nobody listening.
    const uploaded = upload.done().catch((err: unknown) => {
      toS3.destroy(err as Error);
      throw err;
    });
    const streamed = pipeline(options.body, watchdog, counter.transform, disk.tee, toS3).catch(
      async (err: unknown) => {
        await upload.abort().catch(() => undefined);
        throw err;
      },
    );
    const [download, store] = await Promise.allSettled([streamed, uploaded]);
    if (download.status === 'rejected' || store.status === 'rejected') {
      await deleteQuietly(s3, bucket, partialKey);
      const cause = (
        download.status === 'rejected' ? download.reason : (store as PromiseRejectedResult).reason
      ) as Error;
      if (options.signal?.aborted || cause instanceof InvalidSourceFile) throw cause;
      if (cause instanceof LandingTransferError) throw cause;
      throw new LandingTransferError(
        `${label}: landing ${options.sourceUrl} broke after ${mib(counter.total())} ` +
          `(${cause?.message ?? String(cause)}); the activity retries it. If it keeps failing, check that ` +
          'the worker reaches the source and the object store.',
        { cause },
      );
    }
    const bytes = counter.total();
    const sha256 = counter.digest();
    let rows: number;
    try {
      if (expected >= 0 && bytes !== expected) {
        // A connection cut mid-transfer: a retry can succeed.
        throw new LandingTransferError(
          `${label}: received ${bytes} bytes but the source announced ${expected}; the download broke ` +
            'and the activity retries it',
        );
      }
      rows = await parquetFooterRows(localCopy, label);
      if (rows === 0) {
        // Bronze would refuse it later (after branching); a file without rows is told apart here.
        throw new InvalidSourceFile(
          `${label} has no rows: loading it would empty the month. Check the source file, then run the ` +
            'month again.',
        );
      }
      await options.check?.(partialKey, { sha256, rows });
    } catch (err) {
      await deleteQuietly(s3, bucket, partialKey);
      throw err;
    }
    // Promote the upload under its final key, with the source version recorded.
    await copyWithMetadata(s3, bucket, partialKey, key, {
      'source-etag': version.etag,
      'source-last-modified': version.lastModified,
      'source-size': String(version.size),
      'source-url': options.sourceUrl,
      sha256,
      rows: String(rows),
    });
    progress(`${label}: landed ${mib(bytes)}, ${rows} rows, sha256 ${sha256.slice(0, 12)}... at ${key}`);
    return { bytes, sha256, rows };
  } finally {
    // On an early failure (before the pipeline owned them): stop the idle timer, release the connection.
    watchdog?.destroy();
    options.body.destroy();
    disk.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

async function deleteObject(s3: S3Client, bucket: string, key: string) {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/** Cleanup on a failure path: a failure to delete must not hide the failure being reported. */
async function deleteQuietly(s3: S3Client, bucket: string, key: string) {
  await deleteObject(s3, bucket, key).catch(() => undefined);
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
