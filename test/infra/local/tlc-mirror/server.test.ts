import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ensureMirrorMonth,
  ensureZoneLookup,
  reissueMonth,
  startTlcMirror,
  tripDataFile,
  type TlcMirrorServer,
} from '../../../../infra/local/tlc-mirror';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** node:http rather than fetch: fetch would normalise "..", and the raw path is what is under test. */
function request(
  baseUrl: string,
  rawPath: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        hostname,
        port,
        path: rawPath,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const MONTH = '2025-03';
const MONTH_PATH = `/trip-data/yellow_tripdata_${MONTH}.parquet`;
const SECRET = 'not for the mirror';

let root: string;
let mirrorDir: string;
let mirror: TlcMirrorServer;
let fileBytes: Buffer;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tlc-server-'));
  mirrorDir = path.join(root, 'mirror');
  // Files a traversal would be after: beside the mirror and inside it on an unserved path.
  fs.writeFileSync(path.join(root, 'secret.txt'), SECRET);
  fs.mkdirSync(mirrorDir);
  fs.writeFileSync(path.join(mirrorDir, 'secret.txt'), SECRET);
  await ensureMirrorMonth(mirrorDir, MONTH, { rows: 5000, seed: 1 });
  await ensureZoneLookup(mirrorDir);
  fileBytes = fs.readFileSync(tripDataFile(mirrorDir, MONTH));
  mirror = await startTlcMirror({ dir: mirrorDir, port: 0 });
});

afterAll(async () => {
  await mirror?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

it('listens on loopback by default', () => {
  expect(mirror.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

it('answers HEAD with the validators and no body', async () => {
  const response = await request(mirror.url, MONTH_PATH, { method: 'HEAD' });
  const stat = fs.statSync(tripDataFile(mirrorDir, MONTH));
  expect(response.status).toBe(200);
  expect(response.body.length).toBe(0);
  expect(Number(response.headers['content-length'])).toBe(stat.size);
  expect(response.headers['accept-ranges']).toBe('bytes');
  expect(response.headers['last-modified']).toBe(new Date(stat.mtimeMs).toUTCString());
  expect(response.headers.etag).toMatch(/^"[^"]+"$/); // strong: no W/ prefix
  const again = await request(mirror.url, MONTH_PATH, { method: 'HEAD' });
  expect(again.headers.etag).toBe(response.headers.etag);
});

it('serves the whole file on GET', async () => {
  const response = await request(mirror.url, MONTH_PATH);
  expect(response.status).toBe(200);
  expect(Number(response.headers['content-length'])).toBe(fileBytes.length);
  expect(response.body.equals(fileBytes)).toBe(true);
  expect(createHash('sha256').update(response.body).digest('hex')).toBe(
    createHash('sha256').update(fileBytes).digest('hex'),
  );
});

it('serves the zone lookup', async () => {
  const response = await request(mirror.url, '/misc/taxi_zone_lookup.csv');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('text/csv');
  expect(response.body.toString('utf8').split('\n')[0].trim()).toBe(
    '"LocationID","Borough","Zone","service_zone"',
  );
});

describe('byte ranges', () => {
  it('returns the exact slice for bytes=a-b', async () => {
    const response = await request(mirror.url, MONTH_PATH, { headers: { Range: 'bytes=100-1099' } });
    expect(response.status).toBe(206);
    expect(response.headers['content-range']).toBe(`bytes 100-1099/${fileBytes.length}`);
    expect(Number(response.headers['content-length'])).toBe(1000);
    expect(response.body.equals(fileBytes.subarray(100, 1100))).toBe(true);
  });

  it('supports suffix and open-ended ranges (how Parquet readers fetch the footer)', async () => {
    const suffix = await request(mirror.url, MONTH_PATH, { headers: { Range: 'bytes=-8' } });
    expect(suffix.status).toBe(206);
    expect(suffix.body.equals(fileBytes.subarray(fileBytes.length - 8))).toBe(true);
    expect(suffix.body.subarray(4).toString('latin1')).toBe('PAR1');
    const start = fileBytes.length - 20;
    const openEnded = await request(mirror.url, MONTH_PATH, { headers: { Range: `bytes=${start}-` } });
    expect(openEnded.status).toBe(206);
    expect(openEnded.headers['content-range']).toBe(
      `bytes ${start}-${fileBytes.length - 1}/${fileBytes.length}`,
    );
    expect(openEnded.body.equals(fileBytes.subarray(start))).toBe(true);
  });

  it('clamps a range that runs past the end', async () => {
    const start = fileBytes.length - 5;
    const response = await request(mirror.url, MONTH_PATH, {
      headers: { Range: `bytes=${start}-${fileBytes.length + 1000}` },
    });
    expect(response.status).toBe(206);
    expect(response.body.equals(fileBytes.subarray(start))).toBe(true);
  });

  it('answers 416 when the range starts past the end', async () => {
    const response = await request(mirror.url, MONTH_PATH, {
      headers: { Range: `bytes=${fileBytes.length}-` },
    });
    expect(response.status).toBe(416);
    expect(response.headers['content-range']).toBe(`bytes */${fileBytes.length}`);
  });

  it('ignores multi-range and malformed headers and sends the whole file', async () => {
    for (const range of ['bytes=0-1,5-9', 'bytes=9-1', 'items=0-1']) {
      const response = await request(mirror.url, MONTH_PATH, { headers: { Range: range } });
      expect(response.status).toBe(200);
      expect(response.body.equals(fileBytes)).toBe(true);
    }
  });

  it('honours If-Range: a stale validator gets the full file', async () => {
    const { headers } = await request(mirror.url, MONTH_PATH, { method: 'HEAD' });
    const current = await request(mirror.url, MONTH_PATH, {
      headers: { Range: 'bytes=0-9', 'If-Range': headers.etag as string },
    });
    expect(current.status).toBe(206);
    const stale = await request(mirror.url, MONTH_PATH, {
      headers: { Range: 'bytes=0-9', 'If-Range': '"stale"' },
    });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(fileBytes.length);
  });
});

describe('conditional requests', () => {
  it('answers 304 to a matching If-None-Match (also weak form and lists)', async () => {
    const { headers } = await request(mirror.url, MONTH_PATH, { method: 'HEAD' });
    const etag = headers.etag as string;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await request(mirror.url, MONTH_PATH, { headers: { 'If-None-Match': ifNoneMatch } });
      expect(response.status).toBe(304);
      expect(response.body.length).toBe(0);
      expect(response.headers.etag).toBe(etag);
    }
    const changed = await request(mirror.url, MONTH_PATH, { headers: { 'If-None-Match': '"other"' } });
    expect(changed.status).toBe(200);
    expect(changed.body.equals(fileBytes)).toBe(true);
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified', async () => {
    const { headers } = await request(mirror.url, MONTH_PATH, { method: 'HEAD' });
    const lastModified = headers['last-modified'] as string;
    const same = await request(mirror.url, MONTH_PATH, { headers: { 'If-Modified-Since': lastModified } });
    expect(same.status).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    const older = await request(mirror.url, MONTH_PATH, { headers: { 'If-Modified-Since': earlier } });
    expect(older.status).toBe(200);
  });
});

describe('what is not served', () => {
  it('404s months the mirror lacks and unknown paths', async () => {
    for (const missing of [
      '/trip-data/yellow_tripdata_2025-04.parquet',
      '/trip-data/yellow_tripdata_2025-13.parquet',
      '/trip-data/green_tripdata_2025-03.parquet',
      `${MONTH_PATH}.json`,
      '/secret.txt',
      '/',
    ]) {
      const response = await request(mirror.url, missing);
      expect({ missing, status: response.status }).toEqual({ missing, status: 404 });
    }
  });

  it('rejects traversal, encoded separators and other tricks without reading files', async () => {
    for (const attack of [
      '/trip-data/../secret.txt',
      '/trip-data/../../secret.txt',
      '/misc/../../secret.txt',
      '/trip-data/..%2F..%2Fsecret.txt',
      '/%2e%2e/secret.txt',
      '/trip-data/yellow_tripdata_2025-03.parquet%00',
      '/trip-data%2fyellow_tripdata_2025-03.parquet',
      '/trip-data/..\\secret.txt',
      '//secret.txt',
      '/./misc/taxi_zone_lookup.csv',
    ]) {
      const response = await request(mirror.url, attack);
      expect({ attack, status: response.status }).toEqual({ attack, status: 400 });
      expect(response.body.toString('utf8')).not.toContain(SECRET);
    }
  });

  it('refuses other methods', async () => {
    const response = await request(mirror.url, MONTH_PATH, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(fs.existsSync(tripDataFile(mirrorDir, MONTH))).toBe(true);
  });
});

it('shows a re-issued file with new validators and new bytes', async () => {
  const before = await request(mirror.url, MONTH_PATH, { method: 'HEAD' });
  await reissueMonth(mirrorDir, MONTH);
  const newBytes = fs.readFileSync(tripDataFile(mirrorDir, MONTH));
  expect(newBytes.equals(fileBytes)).toBe(false);

  const after = await request(mirror.url, MONTH_PATH, { method: 'HEAD' });
  expect(after.headers.etag).not.toBe(before.headers.etag);
  expect(after.headers['last-modified']).not.toBe(before.headers['last-modified']);
  expect(Date.parse(after.headers['last-modified'] as string)).toBeGreaterThan(
    Date.parse(before.headers['last-modified'] as string),
  );
  const refetch = await request(mirror.url, MONTH_PATH, {
    headers: { 'If-None-Match': before.headers.etag as string },
  });
  expect(refetch.status).toBe(200);
  expect(refetch.body.equals(newBytes)).toBe(true);
});
