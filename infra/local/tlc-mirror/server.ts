// A stand-in for the TLC CloudFront host (d37ci6vzurychx.cloudfront.net): serves a mirror folder on
// the real URL paths with the HTTP features a careful downloader relies on: HEAD, byte ranges, strong
// ETags, Last-Modified and conditional requests. Files are streamed, never read whole.
//
// Layout of `dir` (the same as the URL paths):
//   trip-data/yellow_tripdata_YYYY-MM.parquet
//   misc/taxi_zone_lookup.csv
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface TlcMirrorOptions {
  dir: string;
  port: number;
  /** Defaults to loopback: the mirror is for this machine only. */
  host?: string;
}

export interface TlcMirrorServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  close(): Promise<void>;
}

/** The only two URL shapes the mirror answers; file names are rebuilt from the captures. */
const TRIP_DATA_PATH = /^\/trip-data\/yellow_tripdata_(\d{4}-(?:0[1-9]|1[0-2]))\.parquet$/;
const ZONE_LOOKUP_PATH = '/misc/taxi_zone_lookup.csv';

interface ResolvedResource {
  file: string;
  contentType: string;
}

/** Path of a month's file inside a mirror folder. */
export function tripDataFile(dir: string, month: string): string {
  return path.join(dir, 'trip-data', `yellow_tripdata_${month}.parquet`);
}

/** Path of the zone lookup inside a mirror folder. */
export function zoneLookupFile(dir: string): string {
  return path.join(dir, 'misc', 'taxi_zone_lookup.csv');
}

/**
 * Strong validator from size and modification time (nanoseconds), like nginx's: a re-issued file is
 * written anew and renamed into place, so both its mtime and (almost always) its size change.
 */
export function entityTag(stat: fs.BigIntStats): string {
  return `"${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}"`;
}

type RequestTarget = { kind: 'resource'; resource: ResolvedResource } | { kind: 'error'; status: 400 | 404 };

/**
 * Maps a raw request target to a file. Anything that is not exactly one of the known paths is refused
 * before the file system is touched: percent-encoding (e.g. %2e%2e, %2f), dot segments, backslashes
 * and doubled slashes are 400, any other path 404.
 */
export function resolveRequestTarget(dir: string, rawTarget: string): RequestTarget {
  const queryStart = rawTarget.indexOf('?');
  const pathname = queryStart === -1 ? rawTarget : rawTarget.slice(0, queryStart);
  if (
    !pathname.startsWith('/') ||
    pathname.includes('%') ||
    pathname.includes('\\') ||
    pathname.includes('//') ||
    pathname.includes('\0') ||
    pathname.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    return { kind: 'error', status: 400 };
  }
  let file: string;
  let contentType: string;
  const tripData = TRIP_DATA_PATH.exec(pathname);
  if (tripData) {
    file = tripDataFile(dir, tripData[1]);
    contentType = 'application/octet-stream';
  } else if (pathname === ZONE_LOOKUP_PATH) {
    file = zoneLookupFile(dir);
    contentType = 'text/csv';
  } else {
    return { kind: 'error', status: 404 };
  }
  // Defence in depth: the name came from a strict pattern, but never serve outside the mirror folder.
  const root = path.resolve(dir);
  if (!path.resolve(file).startsWith(root + path.sep)) return { kind: 'error', status: 404 };
  return { kind: 'resource', resource: { file, contentType } };
}

export type ByteRange = { start: number; end: number };

/**
 * Parses a single `bytes=` range against a size (RFC 9110 14.1). Returns undefined to ignore the
 * header (absent, malformed, several ranges, other units: the full body is sent) or 'unsatisfiable'.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first, last] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffixLength = Number(last);
    if (suffixLength === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffixLength), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** If-None-Match uses weak comparison: W/"x" matches "x". */
function matchesAnyTag(header: string, tag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = (value: string): string => value.trim().replace(/^W\//, '');
  return header.split(',').some((candidate) => opaque(candidate) === opaque(tag));
}

function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sendStatus(
  response: http.ServerResponse,
  status: number,
  extraHeaders: http.OutgoingHttpHeaders = {},
): void {
  const body = `${status} ${http.STATUS_CODES[status] ?? ''}\n`;
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  response.end(body);
}

async function handleRequest(dir: string, request: http.IncomingMessage, response: http.ServerResponse) {
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    sendStatus(response, 405, { Allow: 'GET, HEAD' });
    return;
  }
  const target = resolveRequestTarget(dir, request.url ?? '');
  if (target.kind === 'error') {
    sendStatus(response, target.status);
    return;
  }
  const { file, contentType } = target.resource;

  // Open first, then stat the open descriptor: headers and body describe the same file even if a
  // re-issue renames a new one into place mid-request.
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    sendStatus(response, code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' ? 404 : 500);
    return;
  }
  let streaming = false;
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) {
      sendStatus(response, 404);
      return;
    }
    const size = Number(stat.size);
    const etag = entityTag(stat);
    const lastModified = new Date(Number(stat.mtimeMs)).toUTCString();
    const validators = { ETag: etag, 'Last-Modified': lastModified };

    const ifNoneMatch = firstHeaderValue(request.headers['if-none-match']);
    const ifModifiedSince = firstHeaderValue(request.headers['if-modified-since']);
    const notModified =
      ifNoneMatch !== undefined
        ? matchesAnyTag(ifNoneMatch, etag)
        : ifModifiedSince !== undefined &&
          Math.floor(Number(stat.mtimeMs) / 1000) * 1000 <= Date.parse(ifModifiedSince);
    if (notModified) {
      response.writeHead(304, validators);
      response.end();
      return;
    }

    // If-Range: resume only if the client's copy is still current (strong ETag or exact date), else
    // send the whole new file so a stale partial download is never stitched onto new bytes.
    const ifRange = firstHeaderValue(request.headers['if-range']);
    const rangeStillValid =
      ifRange === undefined || (ifRange.startsWith('"') ? ifRange === etag : ifRange === lastModified);
    const range = rangeStillValid ? parseRange(request.headers.range, size) : undefined;
    if (range === 'unsatisfiable') {
      sendStatus(response, 416, { 'Content-Range': `bytes */${size}`, ...validators });
      return;
    }

    const headers: http.OutgoingHttpHeaders = {
      ...validators,
      'Content-Type': contentType,
      'Accept-Ranges': 'bytes',
    };
    if (range) {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
      headers['Content-Length'] = range.end - range.start + 1;
      response.writeHead(206, headers);
    } else {
      headers['Content-Length'] = size;
      response.writeHead(200, headers);
    }
    if (method === 'HEAD' || size === 0) {
      response.end();
      return;
    }
    const body = handle.createReadStream({
      start: range?.start ?? 0,
      end: range?.end ?? size - 1,
      autoClose: true,
    });
    streaming = true;
    await pipeline(body, response).catch(() => {
      // The client went away mid-transfer: nothing to report, the stream closes the handle.
    });
  } finally {
    if (!streaming) await handle.close();
  }
}

/** Starts the mirror; `port: 0` picks a free port (see the returned url). */
export async function startTlcMirror(options: TlcMirrorOptions): Promise<TlcMirrorServer> {
  const dir = path.resolve(options.dir);
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((request, response) => {
    handleRequest(dir, request, response).catch(() => {
      if (!response.headersSent) sendStatus(response, 500);
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // idle keep-alive sockets would otherwise hold close() open
      }),
  };
}
