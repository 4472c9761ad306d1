// `dp elt run --source <path>`: checks a local Parquet file the way the fetch stage would (footer, row
// count, schema family) and uploads it to the object store, where the worker reads it wherever it runs (a
// pod cannot see the user's disk). A bad file is refused here, before any workflow starts.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { MonthSource } from '../../domain/elt';
import { lineageFileName, uploadKey } from '../../domain/month-source';
import { columnsFromFooter } from './bronze/parquet-footer';
import { planSource } from './bronze/sql';
import { parquetFooterRows } from './fetch';
import { InvalidSourceFile } from './invalid-source-file';

export interface CheckedSourceFile {
  file: string;
  /** The name recorded as the rows' lineage. */
  fileName: string;
  bytes: number;
  sha256: string;
  rows: number;
}

/** Reads the footer bytes of a local Parquet file (its magic and length were checked by parquetFooterRows). */
function localFooter(file: string, bytes: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const tail = Buffer.alloc(8);
    fs.readSync(fd, tail, 0, 8, bytes - 8);
    const length = tail.readUInt32LE(0);
    if (length === 0 || length > bytes - 12) {
      throw new InvalidSourceFile(
        `${file} is not a valid Parquet file: its footer length ${length} does not fit a ${bytes}-byte file.`,
      );
    }
    const footer = Buffer.alloc(length);
    fs.readSync(fd, footer, 0, length, bytes - 8 - length);
    return footer;
  } finally {
    fs.closeSync(fd);
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/** The checks of the fetch stage on a local file; throws InvalidSourceFile naming the problem. */
export async function checkLocalSourceFile(file: string, month: string): Promise<CheckedSourceFile> {
  const resolved = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new InvalidSourceFile(
      `There is no file at ${resolved}. Give --source the path of a Parquet trip file, or an http(s) URL.`,
    );
  }
  if (!stat.isFile()) {
    throw new InvalidSourceFile(`${resolved} is not a regular file: give --source a Parquet trip file.`);
  }
  const rows = await parquetFooterRows(resolved, resolved);
  if (rows === 0) {
    throw new InvalidSourceFile(`${resolved} has no rows: loading it would empty the month. Check the file.`);
  }
  // Throws SourceSchemaError (naming the missing or mistyped columns) for another layout.
  planSource(resolved, columnsFromFooter(resolved, localFooter(resolved, stat.size)));
  return {
    file: resolved,
    fileName: lineageFileName(resolved, month),
    bytes: stat.size,
    sha256: await sha256Of(resolved),
    rows,
  };
}

/**
 * Uploads the checked file under its content hash (an upload of the same bytes is skipped) and returns
 * the workflow's source for it.
 */
export async function uploadSourceFile(
  s3: S3Client,
  bucket: string,
  checked: CheckedSourceFile,
  progress: (message: string) => void,
): Promise<MonthSource> {
  const key = uploadKey(checked.sha256);
  const source: MonthSource = {
    kind: 'uploaded',
    key,
    fileName: checked.fileName,
    sha256: checked.sha256,
    bytes: checked.bytes,
  };
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    if (head.ContentLength === checked.bytes) {
      progress(`${checked.fileName} is already in the object store (s3://${bucket}/${key})`);
      return source;
    }
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw err;
  }
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: bucket,
      Key: key,
      Body: fs.createReadStream(checked.file),
      ContentType: 'application/octet-stream',
    },
    partSize: 16 * 1024 * 1024,
    queueSize: 2,
  });
  let lastReport = 0;
  upload.on('httpUploadProgress', (p) => {
    if (Date.now() - lastReport < 2000 || p.loaded === undefined) return;
    lastReport = Date.now();
    progress(`uploading ${checked.fileName}: ${((100 * p.loaded) / checked.bytes).toFixed(0)}%`);
  });
  await upload.done();
  progress(
    `uploaded ${checked.fileName} (${(checked.bytes / 1048576).toFixed(1)} MiB, ${checked.rows} rows) to s3://${bucket}/${key}`,
  );
  return source;
}
