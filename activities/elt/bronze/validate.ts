// Checks for every input of a Bronze append that ends up in SQL or in an object-store key. Values that
// become SQL string literals are still quoted with sqlString; these checks keep them plausible and short,
// and reject anything that could escape the place it is put in.
import { sqlIdentifier } from '../../../clients/trino';
import { validMonth } from '../../../domain/months';

// S3 bucket naming rules (lower-case letters, digits, dots, hyphens; 3-63 characters).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Object keys: a conservative character set, '/'-separated segments, no empty or dot segments.
const KEY_SEGMENT = /^[A-Za-z0-9_=+-][A-Za-z0-9._=+-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._=+-]{0,254}$/;

export class BronzeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BronzeInputError';
  }
}

/** domain/months' validMonth, failing with a BronzeInputError. */
export function validateMonth(month: string): string {
  try {
    return validMonth(month);
  } catch (error) {
    throw new BronzeInputError((error as Error).message);
  }
}

export function validateBucket(bucket: string): string {
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new BronzeInputError(`invalid bucket name ${JSON.stringify(bucket)}`);
  }
  return bucket;
}

/** The object key of a Parquet file, e.g. landing/yellow/2025-03/<run>/yellow_tripdata_2025-03.parquet */
export function validateSourceKey(key: string): string {
  if (key.length === 0 || key.length > 1024) {
    throw new BronzeInputError(`source key must be 1..1024 characters, got ${key.length}`);
  }
  const segments = key.split('/');
  if (!segments.every((segment) => KEY_SEGMENT.test(segment))) {
    throw new BronzeInputError(
      `invalid source key ${JSON.stringify(key)}: use '/'-separated segments of letters, digits and ._=+- ` +
        `(no leading '/', no empty, '.' or '..' segments)`,
    );
  }
  if (!key.toLowerCase().endsWith('.parquet')) {
    throw new BronzeInputError(`source key ${JSON.stringify(key)} does not name a .parquet file`);
  }
  return key;
}

/** The source file's name as recorded in lineage: a plain file name, no path. */
export function validateFileName(name: string): string {
  if (!FILE_NAME.test(name) || name.includes('..')) {
    throw new BronzeInputError(
      `invalid source file name ${JSON.stringify(name)}: expected a plain file name`,
    );
  }
  return name;
}

export function validateSha256(sha: string): string {
  if (!SHA256.test(sha)) {
    throw new BronzeInputError(`source sha256 must be 64 lower-case hex digits, got ${JSON.stringify(sha)}`);
  }
  return sha;
}

export function validateRunId(runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw new BronzeInputError(
      `invalid run id ${JSON.stringify(runId)}: 1..200 characters of letters, digits and ._:@-`,
    );
  }
  return runId;
}

/** A Trino catalog, schema or table name (lower-case letters, digits, underscores). */
export function validateIdentifier(kind: string, name: string): string {
  try {
    return sqlIdentifier(name);
  } catch (error) {
    throw new BronzeInputError(`invalid ${kind}: ${(error as Error).message}`);
  }
}
