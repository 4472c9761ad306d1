import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ensureMirrorMonth,
  ensureZoneLookup,
  GENERATOR_VERSION,
  manifestFile,
  readManifest,
  reissueMonth,
  tripDataFile,
  ZONE_LOOKUP_SEED,
  zoneLookupFile,
} from '../../../../infra/local/tlc-mirror';
import { readFooter } from './parquet-helpers';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlc-index-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function tripDataFolder(): string[] {
  return fs.readdirSync(path.join(dir, 'trip-data')).sort();
}

it('generates a missing month once and records how', async () => {
  const first = await ensureMirrorMonth(dir, '2024-02', { rows: 3000, seed: 4 });
  expect(first.generated).toBe(true);
  expect(first.file).toBe(path.join(dir, 'trip-data', 'yellow_tripdata_2024-02.parquet'));
  expect(first.manifest).toMatchObject({
    month: '2024-02',
    rows: 3000,
    seed: 4,
    schema: '2024',
    generatorVersion: GENERATOR_VERSION,
    bytes: fs.statSync(first.file).size,
    sha256: sha256(first.file),
  });
  expect((await readFooter(fs.readFileSync(first.file))).numRows).toBe(3000);
  expect(await readManifest(dir, '2024-02')).toEqual(first.manifest);
  // Only the month and its sidecar: no temporary files left behind.
  expect(tripDataFolder()).toEqual([
    'yellow_tripdata_2024-02.parquet',
    'yellow_tripdata_2024-02.parquet.json',
  ]);

  const mtimeBefore = fs.statSync(first.file).mtimeMs;
  const second = await ensureMirrorMonth(dir, '2024-02', { rows: 3000, seed: 4 });
  expect(second.generated).toBe(false);
  expect(fs.statSync(first.file).mtimeMs).toBe(mtimeBefore);
});

it('regenerates when rows, seed or schema change', async () => {
  const base = await ensureMirrorMonth(dir, '2025-01', { rows: 2000, seed: 1 });
  const moreRows = await ensureMirrorMonth(dir, '2025-01', { rows: 2500, seed: 1 });
  expect(moreRows.generated).toBe(true);
  expect((await readFooter(fs.readFileSync(moreRows.file))).numRows).toBe(2500);
  const otherSeed = await ensureMirrorMonth(dir, '2025-01', { rows: 2500, seed: 2 });
  expect(otherSeed.generated).toBe(true);
  expect(otherSeed.manifest.sha256).not.toBe(moreRows.manifest.sha256);
  const otherSchema = await ensureMirrorMonth(dir, '2025-01', { rows: 2500, seed: 2, schema: '2024' });
  expect(otherSchema.generated).toBe(true);
  expect(otherSchema.manifest.schema).toBe('2024');
  // Back to the first parameters: identical bytes again (deterministic).
  const back = await ensureMirrorMonth(dir, '2025-01', { rows: 2000, seed: 1 });
  expect(back.generated).toBe(true);
  expect(sha256(back.file)).toBe(base.manifest.sha256);
});

it('regenerates a file without sidecar or whose size disagrees with it', async () => {
  const { file } = await ensureMirrorMonth(dir, '2023-05', { rows: 1000, seed: 9 });
  const expectedHash = sha256(file);
  fs.rmSync(manifestFile(dir, '2023-05'));
  expect((await ensureMirrorMonth(dir, '2023-05', { rows: 1000, seed: 9 })).generated).toBe(true);

  fs.truncateSync(file, 100); // e.g. a copy interrupted by hand
  const repaired = await ensureMirrorMonth(dir, '2023-05', { rows: 1000, seed: 9 });
  expect(repaired.generated).toBe(true);
  expect(sha256(file)).toBe(expectedHash);
});

it('ignores and clears temporary files of crashed generators', async () => {
  fs.mkdirSync(path.join(dir, 'trip-data'), { recursive: true });
  // A pid that cannot be running (above the kernel's pid_max).
  const stale = `${tripDataFile(dir, '2025-02')}.tmp-99999999-deadbeef`;
  fs.writeFileSync(stale, 'PAR1 half a file');
  const result = await ensureMirrorMonth(dir, '2025-02', { rows: 1000, seed: 1 });
  expect(result.generated).toBe(true);
  expect(fs.existsSync(stale)).toBe(false);
  expect(tripDataFolder()).toEqual([
    'yellow_tripdata_2025-02.parquet',
    'yellow_tripdata_2025-02.parquet.json',
  ]);
});

it('re-issues a month with another seed and a later modification time', async () => {
  const original = await ensureMirrorMonth(dir, '2025-03', { rows: 1500, seed: 5 });
  const originalStat = fs.statSync(original.file);
  const reissued = await reissueMonth(dir, '2025-03');
  const reissuedStat = fs.statSync(reissued.file);
  expect(reissued.manifest.seed).toBe(6);
  expect(reissued.manifest.rows).toBe(1500);
  expect(reissued.manifest.sha256).not.toBe(original.manifest.sha256);
  expect(sha256(reissued.file)).toBe(reissued.manifest.sha256);
  expect(Math.floor(reissuedStat.mtimeMs / 1000)).toBeGreaterThan(Math.floor(originalStat.mtimeMs / 1000));

  const explicit = await reissueMonth(dir, '2025-03', { seed: 42 });
  expect(explicit.manifest.seed).toBe(42);
  await expect(reissueMonth(dir, '2025-03', { seed: 42 })).rejects.toThrow(/seed other than/);
  await expect(reissueMonth(dir, '2025-04')).rejects.toThrow(/has not been generated/);
});

it('copies the zone lookup from the product seed', async () => {
  const target = await ensureZoneLookup(dir);
  expect(target).toBe(zoneLookupFile(dir));
  expect(fs.readFileSync(target).equals(fs.readFileSync(ZONE_LOOKUP_SEED))).toBe(true);
  const lines = fs.readFileSync(target, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(266); // header + LocationID 1..265
  fs.writeFileSync(target, 'stale');
  await ensureZoneLookup(dir);
  expect(fs.readFileSync(target).equals(fs.readFileSync(ZONE_LOOKUP_SEED))).toBe(true);
});

it('rejects a malformed month before touching the folder', async () => {
  await expect(ensureMirrorMonth(dir, '2025-3', { rows: 10, seed: 1 })).rejects.toThrow(/YYYY-MM/);
  expect(fs.existsSync(path.join(dir, 'trip-data'))).toBe(false);
});
