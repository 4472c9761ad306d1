// The local TLC mirror: synthetic monthly files generated on demand into a folder laid out like the
// TLC host, plus the HTTP server that publishes it. Each month file has a JSON sidecar recording how
// it was generated, so a request with other parameters regenerates it and an unchanged one is a no-op.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DEFAULT_ROW_GROUP_SIZE, generateMonth, GENERATOR_VERSION } from './generate';
import { parseMonth } from '../../../domain/months';
import { defaultSchemaFamily, type SchemaFamily } from './schema';
import { tripDataFile, zoneLookupFile } from './server';

export { DEFAULT_ROW_GROUP_SIZE, generateMonth, GENERATOR_VERSION } from './generate';
export type { GenerateMonthOptions, GenerateMonthResult } from './generate';
export { COLUMNS, defaultSchemaFamily, SCHEMA_FAMILIES, type SchemaFamily } from './schema';
export {
  entityTag,
  startTlcMirror,
  tripDataFile,
  zoneLookupFile,
  type TlcMirrorOptions,
  type TlcMirrorServer,
} from './server';

/** The product's own copy of the zone table (never read from shared/ at run time). */
export const ZONE_LOOKUP_SEED = path.resolve(__dirname, '../../../dbt/seeds/taxi_zone_lookup.csv');

export interface MirrorMonthParams {
  rows: number;
  seed: number;
  /** Defaults from the month's year. */
  schema?: SchemaFamily;
  rowGroupSize?: number;
}

/** What decides a month file's content: with the generator's version, the file is reproducible from these. */
interface ResolvedParams {
  rows: number;
  seed: number;
  schema: SchemaFamily;
  rowGroupSize: number;
}

/** The sidecar beside each month file: generation inputs plus what came out. */
export interface MirrorMonthManifest extends ResolvedParams {
  month: string;
  generatorVersion: number;
  bytes: number;
  sha256: string;
  generatedAt: string;
}

export interface MirrorMonthResult {
  file: string;
  manifest: MirrorMonthManifest;
  /** False when an up-to-date file was already there. */
  generated: boolean;
}

export function manifestFile(dir: string, month: string): string {
  return `${tripDataFile(dir, month)}.json`;
}

export async function readManifest(dir: string, month: string): Promise<MirrorMonthManifest | undefined> {
  try {
    return JSON.parse(await fs.readFile(manifestFile(dir, month), 'utf8')) as MirrorMonthManifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function temporaryName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

async function writeFileAtomically(file: string, contents: string): Promise<void> {
  const temporary = temporaryName(file);
  await fs.writeFile(temporary, contents);
  await fs.rename(temporary, file);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only checks that the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary files of `month` left behind by crashed generators (never a live one's). */
async function removeStaleTemporaries(dir: string, month: string): Promise<void> {
  const folder = path.dirname(tripDataFile(dir, month));
  const prefix = `${path.basename(tripDataFile(dir, month))}.tmp-`;
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processIsAlive(pid)) {
      await fs.rm(path.join(folder, name), { force: true });
    }
  }
}

function resolveParams(month: string, params: MirrorMonthParams): ResolvedParams {
  parseMonth(month);
  return {
    rows: params.rows,
    seed: params.seed,
    schema: params.schema ?? defaultSchemaFamily(month),
    rowGroupSize: params.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE,
  };
}

/**
 * Generates into a temporary file and renames it into place, so the month path only ever holds a
 * complete file. The old sidecar goes first: a crash in between leaves a file without a sidecar,
 * which the next ensureMirrorMonth regenerates.
 */
async function generateIntoPlace(
  dir: string,
  month: string,
  params: ResolvedParams,
  modifiedAt?: Date,
): Promise<MirrorMonthResult> {
  const file = tripDataFile(dir, month);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await removeStaleTemporaries(dir, month);
  const temporary = temporaryName(file);
  try {
    const result = await generateMonth({ month, outFile: temporary, ...params });
    if (modifiedAt) await fs.utimes(temporary, modifiedAt, modifiedAt);
    await fs.rm(manifestFile(dir, month), { force: true });
    await fs.rename(temporary, file);
    const manifest: MirrorMonthManifest = {
      month,
      ...params,
      generatorVersion: GENERATOR_VERSION,
      bytes: result.bytes,
      sha256: result.sha256,
      generatedAt: new Date().toISOString(),
    };
    await writeFileAtomically(manifestFile(dir, month), `${JSON.stringify(manifest, null, 2)}\n`);
    return { file, manifest, generated: true };
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

/**
 * Makes sure `dir` holds `month` generated with exactly these parameters: generates it when missing,
 * when its sidecar is missing or records other parameters (or another generator version), or when
 * the file's size disagrees with the sidecar.
 */
export async function ensureMirrorMonth(
  dir: string,
  month: string,
  params: MirrorMonthParams,
): Promise<MirrorMonthResult> {
  const wanted = resolveParams(month, params);
  const file = tripDataFile(dir, month);
  const manifest = await readManifest(dir, month);
  const size = await fs.stat(file).then(
    (stat) => stat.size,
    () => undefined,
  );
  const upToDate =
    manifest !== undefined &&
    manifest.month === month &&
    manifest.rows === wanted.rows &&
    manifest.seed === wanted.seed &&
    manifest.schema === wanted.schema &&
    manifest.rowGroupSize === wanted.rowGroupSize &&
    manifest.generatorVersion === GENERATOR_VERSION &&
    manifest.bytes === size;
  if (upToDate) return { file, manifest, generated: false };
  return generateIntoPlace(dir, month, wanted);
}

/**
 * Simulates TLC re-issuing a month at the same URL: regenerates it with another seed (default: the
 * previous seed + 1) and a modification time at least one second later than the old file's, so both
 * the ETag and the whole-second Last-Modified change. Later ensureMirrorMonth calls with the old
 * seed would switch it back.
 */
export async function reissueMonth(
  dir: string,
  month: string,
  options: { seed?: number } = {},
): Promise<MirrorMonthResult> {
  const previous = await readManifest(dir, month);
  if (!previous) throw new Error(`cannot re-issue ${month}: it has not been generated in ${dir}`);
  const seed = options.seed ?? previous.seed + 1;
  if (seed === previous.seed) throw new Error(`re-issuing ${month} needs a seed other than ${seed}`);
  const previousModifiedMs = await fs.stat(tripDataFile(dir, month)).then(
    (stat) => stat.mtimeMs,
    () => 0,
  );
  const modifiedSeconds = Math.max(Math.floor(Date.now() / 1000), Math.floor(previousModifiedMs / 1000) + 1);
  return generateIntoPlace(
    dir,
    month,
    { rows: previous.rows, seed, schema: previous.schema, rowGroupSize: previous.rowGroupSize },
    new Date(modifiedSeconds * 1000),
  );
}

/** Copies the zone table into the mirror (atomically) unless an identical copy is already there. */
export async function ensureZoneLookup(dir: string, source: string = ZONE_LOOKUP_SEED): Promise<string> {
  const target = zoneLookupFile(dir);
  const wanted = await fs.readFile(source);
  const current = await fs.readFile(target).catch(() => undefined);
  if (current && current.equals(wanted)) return target;
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temporary = temporaryName(target);
  await fs.writeFile(temporary, wanted);
  await fs.rename(temporary, target);
  return target;
}
