// Checks of a month's explicit source (`dp elt run --source`): which strings name a URL, which URLs the
// worker may fetch, and where an uploaded file lives. Pure (regular expressions, no URL class), so the
// workflow can check its input with the same rules as the CLI.
import type { MonthSource } from './elt';
import { validMonth } from './months';

/** Uploaded files live under this prefix of the warehouse bucket, one object per content hash. */
export const UPLOAD_PREFIX = 'uploads/yellow';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
// http(s)://host[:port][/path][?query]: no credentials in the URL (they would end up in logs and lineage),
// printable ASCII only (anything else is percent-encoded).
const HTTP_URL = /^https?:\/\/[A-Za-z0-9._~-]+(?::\d{1,5})?(?:[/?][!-~]*)?$/i;
const SHA256 = /^[0-9a-f]{64}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._=+-]{0,254}$/;
const MAX_URL_LENGTH = 2048;

export class MonthSourceError extends Error {
  override name = 'MonthSourceError';
}

/** Whether the argument of --source is meant as a URL (it starts with a scheme) rather than a path. */
export function looksLikeUrl(value: string): boolean {
  return SCHEME.test(value);
}

/** An http(s) URL the worker may fetch; throws a MonthSourceError that says what is wrong otherwise. */
export function validSourceUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new MonthSourceError(
      `Unsupported source URL scheme '${scheme}:' in ${JSON.stringify(url)}: the worker fetches http:// and ` +
        'https:// URLs only. Download the file and pass its path instead.',
    );
  }
  if (url.length > MAX_URL_LENGTH || !HTTP_URL.test(url)) {
    throw new MonthSourceError(
      `Invalid source URL ${JSON.stringify(url.slice(0, 200))}: use http(s)://host[:port]/path, without ` +
        'credentials or spaces.',
    );
  }
  return url;
}

/** The key of an uploaded file with this content hash. */
export function uploadKey(sha256: string): string {
  if (!SHA256.test(sha256)) throw new MonthSourceError(`Invalid sha256 ${JSON.stringify(sha256)}.`);
  return `${UPLOAD_PREFIX}/${sha256}.parquet`;
}

/**
 * The file name recorded as the rows' lineage: the last segment of the path or URL when it is a plain
 * file name, else the name the TLC gives the month's file.
 */
export function lineageFileName(pathOrUrl: string, month: string): string {
  const last =
    pathOrUrl
      .replace(/[?#].*$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  return FILE_NAME.test(last) && !last.includes('..') ? last : `yellow_tripdata_${validMonth(month)}.parquet`;
}

/** The source with every field checked (the workflow's input comes from outside: a CLI, a test, the UI). */
export function validMonthSource(source: MonthSource): MonthSource {
  switch (source.kind) {
    case 'url':
      return { kind: 'url', url: validSourceUrl(source.url) };
    case 'uploaded': {
      const key = uploadKey(source.sha256);
      if (source.key !== key) {
        throw new MonthSourceError(`Uploaded source key ${JSON.stringify(source.key)} is not ${key}.`);
      }
      if (!FILE_NAME.test(source.fileName) || source.fileName.includes('..')) {
        throw new MonthSourceError(`Invalid source file name ${JSON.stringify(source.fileName)}.`);
      }
      if (!Number.isSafeInteger(source.bytes) || source.bytes < 12) {
        throw new MonthSourceError(`Invalid size of the uploaded source: ${source.bytes} bytes.`);
      }
      return { ...source, key };
    }
    default:
      throw new MonthSourceError(
        `Unknown source kind ${JSON.stringify((source as { kind: unknown }).kind)}: use url or uploaded.`,
      );
  }
}
