// Landing a month from an explicit source (`dp elt run --source`): a URL the worker fetches, or a file the
// CLI uploaded to the object store. The same checks as the TLC fetch (size, content hash, Parquet footer
// and row count) plus the schema family, all before the file is promoted to the month's landing key; and
// unlike the TLC host, a source that answers 404 or cannot be reached is a mistake to report at once, not a
// month to wait for.
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FetchOutcome, MonthSource, SourceVersion } from '../../domain/elt';
import { landingKey } from '../../domain/landing';
import { lineageFileName } from '../../domain/month-source';
import { readParquetFooter } from './bronze/parquet-footer';
import { planSource } from './bronze/sql';
import {
  landedOutcome,
  landStream,
  reuseLanded,
  sameVersion,
  versionOf,
  webBody,
  type TransferOptions,
} from './fetch';
import { InvalidSourceFile } from './invalid-source-file';
import { fetchSameOrigin, SourceRequestError } from './source-request';

/** The source URL cannot be fetched (network error, no answer in time, an HTTP error status). */
export class UnreachableSource extends InvalidSourceFile {
  override name = 'UnreachableSource';
}

export interface FetchSourceOptions extends TransferOptions {
  s3: S3Client;
  bucket: string;
  month: string;
  /** The workflow run the file is landed for: part of the landing key. */
  runId: string;
  source: MonthSource;
  progress: (message: string) => void;
}

export async function fetchSourceToLanding(options: FetchSourceOptions): Promise<FetchOutcome> {
  return options.source.kind === 'url'
    ? fetchUrl(options, options.source.url)
    : landUploaded(options, options.source);
}

/** Fails when the file's columns are not the yellow-trip layout Bronze loads (SourceSchemaError). */
function schemaCheck(s3: S3Client, bucket: string, label: string) {
  return async (partialKey: string) => {
    const footer = await readParquetFooter(s3, bucket, partialKey);
    planSource(label, footer.columns);
  };
}

async function request(url: string, method: 'HEAD' | 'GET', options: FetchSourceOptions): Promise<Response> {
  try {
    return await fetchSameOrigin(url, {
      method,
      signal: options.signal,
      responseTimeoutMs: options.responseTimeoutMs,
    });
  } catch (err) {
    if (!(err instanceof SourceRequestError)) throw err;
    throw new UnreachableSource(
      `Cannot reach the source URL ${url} (${err.message}). Check the address and that the worker can reach ` +
        'it (on Kubernetes: from its pod), then run the month again.',
    );
  }
}

function httpFailure(url: string, method: string, status: number): UnreachableSource {
  return new UnreachableSource(
    `${method} ${url} answered HTTP ${status}: the file is not there or not readable. Check the URL, then ` +
      'run the month again.',
  );
}

async function fetchUrl(options: FetchSourceOptions, url: string): Promise<FetchOutcome> {
  const { s3, bucket, month, progress } = options;
  const key = landingKey(month, options.runId);
  const label = lineageFileName(url, month);
  const place = { month, bucket, key, sourceFile: label, sourceUrl: url };
  const head = await request(url, 'HEAD', options);
  // Some servers do not answer HEAD; the GET below tells.
  const headUnsupported = head.status === 405 || head.status === 501;
  if (!head.ok && !headUnsupported) throw httpFailure(url, 'HEAD', head.status);
  if (head.ok) {
    const announced = versionOf(head);
    // Only a version the server identifies (ETag or Last-Modified) can be recognised; a size alone cannot.
    const identified = announced.etag !== '' || announced.lastModified !== '';
    const landed = identified
      ? await reuseLanded(
          s3,
          bucket,
          month,
          key,
          (l) => l.sourceUrl === url && sameVersion(l.version, announced),
          progress,
        )
      : undefined;
    if (landed) {
      return landedOutcome(options, place, {
        bytes: landed.bytes,
        sha256: landed.sha256,
        rows: landed.rows,
        version: announced,
        reused: true,
      });
    }
  }
  const response = await request(url, 'GET', options);
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw httpFailure(url, 'GET', response.status);
  }
  const version = versionOf(response);
  const file = await landStream({
    ...options,
    key,
    label,
    sourceUrl: url,
    body: webBody(response),
    version,
    check: schemaCheck(s3, bucket, label),
  });
  return landedOutcome(options, place, { ...file, version, reused: false });
}

async function landUploaded(
  options: FetchSourceOptions,
  source: Extract<MonthSource, { kind: 'uploaded' }>,
): Promise<FetchOutcome> {
  const { s3, bucket, month, progress } = options;
  const key = landingKey(month, options.runId);
  const label = source.fileName;
  const location = `s3://${bucket}/${source.key}`;
  const place = { month, bucket, key, sourceFile: label, sourceUrl: location };
  // The content hash identifies an uploaded file's version.
  const version: SourceVersion = { etag: `sha256:${source.sha256}`, lastModified: '', size: source.bytes };
  const landed = await reuseLanded(
    s3,
    bucket,
    month,
    key,
    (l) => sameVersion(l.version, version) && l.sha256 === source.sha256,
    progress,
  );
  if (landed) {
    return landedOutcome(options, place, {
      bytes: landed.bytes,
      sha256: landed.sha256,
      rows: landed.rows,
      version,
      reused: true,
    });
  }
  let body: Readable;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: source.key }));
    body = object.Body as Readable;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw err;
    throw new InvalidSourceFile(
      `The uploaded file ${label} is not in the object store (${location}). Run dp elt run --source <path> ` +
        'again: it uploads the file first.',
    );
  }
  const file = await landStream({
    ...options,
    key,
    label,
    sourceUrl: location,
    body,
    version,
    check: async (partialKey, copied) => {
      if (copied.sha256 !== source.sha256) {
        throw new InvalidSourceFile(
          `${label}: the uploaded copy (${location}) has sha256 ${copied.sha256}, not the file's ` +
            `${source.sha256}. Run dp elt run --source <path> again to upload it anew.`,
        );
      }
      await schemaCheck(s3, bucket, label)(partialKey);
    },
  });
  return landedOutcome(options, place, { ...file, version, reused: false });
}
