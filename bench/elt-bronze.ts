// Benchmark of the Bronze append (activities/elt/bronze/append.ts) against the original design's baseline,
// PyIceberg appending the same month as an Arrow table through Nessie's Iceberg REST catalog.
//
//   node --import tsx bench/elt-bronze.ts [--runs N]
//   (or `tsx bench/run.ts elt-bronze ...`; bench/elt.ts calls benchBronzeAppend() from here)
//
// Needs the local platform running (`dp up`). One full-size synthetic month (2025-03, 4,145,257 rows) is
// generated once into <cacheDir>/bench-mirror and uploaded to the object store under bench/landing/.
// PyIceberg runs from its own virtualenv, <cacheDir>/venvs/bench-pyiceberg, installed here with pip on
// first use (pinned versions). The runs alternate (product path, PyIceberg, ...) so both see the same
// conditions; each load replaces the month, and every load is checked in Trino (rows of the month = rows
// of the file, no duplicates). The product path runs in a child process whose peak RSS (VmHWM) is read
// from /proc. Last line of output: one JSON object with the figures.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { appendBronzeMonth, type AppendBronzeOptions } from '../activities/elt/bronze/append';
import { s3Client } from '../clients/s3';
import { TrinoClient } from '../clients/trino';
import { ensureMirrorMonth } from '../infra/local/tlc-mirror';
import { ensureS3Credentials } from '../platform/local/credentials';
import { endpoints, loadConfig, paths, REPO_ROOT } from '../lib/config';
import { sleep } from '../lib/time';

export const MONTH = '2025-03';
export const ROWS = 4_145_257;
export const SEED = 20250301;
const SOURCE_FILE = `yellow_tripdata_${MONTH}.parquet`;
const SOURCE_KEY = `bench/landing/yellow/${SOURCE_FILE}`;
const BENCH_SCHEMA = 'bench';
const TABLES = { bronze: 'yellow_trips', pyiceberg: 'yellow_trips_pyiceberg' };
const PYICEBERG_VERSION = '0.12.0';
const PYARROW_VERSION = '26.0.1';
const CHILD_FLAG = '--child';
const RESULT_PREFIX = 'BENCH_CHILD_RESULT ';

export interface BronzeBenchOptions {
  /** Runs of each of the two paths (product path, PyIceberg); the figures are their medians. */
  runs: number;
}

/** Where the full-size synthetic month is generated once and cached (shared by bench/elt.ts). */
export function benchMirrorDir(cacheDir: string): string {
  return path.join(cacheDir, 'bench-mirror');
}

interface ChildResult {
  rows: number;
  files: number;
  seconds: number;
  peakRssMib: number;
}

interface PyIcebergResult {
  rows: number;
  read_s: number;
  normalise_s: number;
  append_s: number;
  total_s: number;
  peak_rss_mib: number;
  pyiceberg: string;
  pyarrow: string;
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function peakRssMib(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

/** Child mode: one append in this process, then its result and peak RSS on one line. */
async function runChild(optionsJson: string): Promise<void> {
  const options = JSON.parse(optionsJson) as AppendBronzeOptions;
  const result = await appendBronzeMonth({ ...options, onProgress: (m) => process.stderr.write(`  ${m}\n`) });
  const child: ChildResult = {
    rows: result.rows,
    files: result.files,
    seconds: result.seconds,
    peakRssMib: peakRssMib(),
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(child)}\n`);
}

function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(command)} exited with ${code}: ${stdout.slice(-2000)}`));
    });
  });
}

/** Creates the PyIceberg virtualenv unless it already has the pinned versions. */
function ensurePyIcebergVenv(venv: string): string {
  const python = path.join(venv, 'bin', 'python');
  const probe = spawnSync(
    python,
    ['-c', 'import pyiceberg, pyarrow; print(pyiceberg.__version__, pyarrow.__version__)'],
    { encoding: 'utf8' },
  );
  if (probe.status === 0 && probe.stdout.trim() === `${PYICEBERG_VERSION} ${PYARROW_VERSION}`) return python;
  log(`installing pyiceberg ${PYICEBERG_VERSION} and pyarrow ${PYARROW_VERSION} into ${venv}`);
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', venv]],
    [
      path.join(venv, 'bin', 'pip'),
      ['install', '--quiet', `pyiceberg[pyarrow]==${PYICEBERG_VERSION}`, `pyarrow==${PYARROW_VERSION}`],
    ],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
  }
  return python;
}

/**
 * Times the product path against PyIceberg, alternating, `runs` times each; every load is verified in
 * Trino. Progress goes to stderr; the caller prints the summary.
 */
export async function benchBronzeAppend({ runs }: BronzeBenchOptions): Promise<BronzeSummary> {
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  const config = loadConfig();
  const e = endpoints(config);
  const credentials = ensureS3Credentials(paths(config).secrets);
  const s3 = { endpoint: e.s3, ...credentials };
  const bucket = config.warehouseBucket;
  const trino = new TrinoClient(e.trino, { source: 'dp-bench' });
  if (!(await trino.isReady())) throw new Error(`Trino is not ready at ${e.trino}: run \`dp up\` first`);

  // 1. The month, generated once and cached; uploaded unless the store already has this exact file.
  const mirrorDir = benchMirrorDir(config.cacheDir);
  const generating = performance.now();
  const month = await ensureMirrorMonth(mirrorDir, MONTH, { rows: ROWS, seed: SEED });
  log(
    `${month.generated ? 'generated' : 'cached'} ${month.file} (${month.manifest.rows} rows, ` +
      `${month.manifest.bytes} bytes${month.generated ? `, ${round((performance.now() - generating) / 1000)}s` : ''})`,
  );
  const client = s3Client(s3);
  try {
    const head = await client
      .send(new HeadObjectCommand({ Bucket: bucket, Key: SOURCE_KEY }))
      .catch(() => undefined);
    if (head?.Metadata?.sha256 !== month.manifest.sha256 || head?.ContentLength !== month.manifest.bytes) {
      log(`uploading to s3://${bucket}/${SOURCE_KEY}`);
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: SOURCE_KEY,
          Body: createReadStream(month.file),
          ContentLength: month.manifest.bytes,
          Metadata: { sha256: month.manifest.sha256 },
        }),
      );
    }
  } finally {
    client.destroy();
  }

  // 2. PyIceberg's virtualenv (idempotent).
  const python = ensurePyIcebergVenv(path.join(config.cacheDir, 'venvs', 'bench-pyiceberg'));
  await trino.query(`CREATE SCHEMA IF NOT EXISTS ${config.catalog}.${BENCH_SCHEMA}`);

  const verify = async (table: string, label: string) => {
    const [[monthRows], [allRows]] = [
      (
        await trino.query(
          `SELECT count(*) FROM ${config.catalog}.${BENCH_SCHEMA}.${table} WHERE source_month = '${MONTH}'`,
        )
      ).rows[0] as number[],
      (await trino.query(`SELECT count(*) FROM ${config.catalog}.${BENCH_SCHEMA}.${table}`))
        .rows[0] as number[],
    ];
    if (monthRows !== ROWS || allRows !== ROWS) {
      throw new Error(
        `${label}: Trino counts ${monthRows} rows for ${MONTH} and ${allRows} in all, expected ${ROWS}`,
      );
    }
    return monthRows;
  };

  const bronzeRun = async (run: number): Promise<ChildResult> => {
    const options: AppendBronzeOptions = {
      trinoUrl: e.trino,
      catalog: config.catalog,
      schema: BENCH_SCHEMA,
      table: TABLES.bronze,
      s3,
      bucket,
      sourceKey: SOURCE_KEY,
      month: MONTH,
      sourceFile: SOURCE_FILE,
      sourceSha256: month.manifest.sha256,
      runId: `bench-trino-${Date.now()}-${run}`,
      trinoSource: 'dp-bench-bronze',
    };
    const stdout = await runProcess(
      process.execPath,
      ['--import', 'tsx', __filename, CHILD_FLAG, JSON.stringify(options)],
      process.env,
    );
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
    if (!line) throw new Error(`the trino run printed no result: ${stdout.slice(-1000)}`);
    const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult;
    await verify(TABLES.bronze, `trino run ${run}`);
    log(
      `trino path run ${run}: ${round(result.seconds)}s, ${result.rows} rows in ${result.files} files, ` +
        `peak RSS ${round(result.peakRssMib, 0)} MiB (Trino count verified)`,
    );
    return result;
  };

  const pyicebergRun = async (run: number): Promise<PyIcebergResult> => {
    const stdout = await runProcess(
      python,
      [
        path.join(REPO_ROOT, 'bench', 'pyiceberg_append.py'),
        '--catalog-uri',
        `${e.nessieIcebergRest}main`,
        '--warehouse',
        bucket,
        '--s3-endpoint',
        e.s3,
        '--bucket',
        bucket,
        '--key',
        SOURCE_KEY,
        '--namespace',
        BENCH_SCHEMA,
        '--table',
        TABLES.pyiceberg,
        '--month',
        MONTH,
        '--source-file',
        SOURCE_FILE,
        '--sha256',
        month.manifest.sha256,
        '--run-id',
        `bench-pyiceberg-${Date.now()}-${run}`,
      ],
      {
        ...process.env,
        DP_S3_ACCESS_KEY: credentials.accessKey,
        DP_S3_SECRET_KEY: credentials.secretKey,
        PYTHONWARNINGS: 'ignore',
      },
    );
    const line = stdout
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{'));
    if (!line) throw new Error(`pyiceberg_append.py printed no result: ${stdout.slice(-1000)}`);
    const result = JSON.parse(line) as PyIcebergResult;
    await verify(TABLES.pyiceberg, `pyiceberg run ${run}`);
    log(
      `pyiceberg run ${run}: ${round(result.total_s)}s (read ${result.read_s}s, normalise ${result.normalise_s}s, ` +
        `append ${result.append_s}s), peak RSS ${round(result.peak_rss_mib, 0)} MiB (Trino count verified)`,
    );
    return result;
  };

  // Other work on the shared Trino (and so on the 2 cores) skews the figures: each run waits for a quiet
  // moment (up to 2 minutes), and any foreign query seen while measuring is reported.
  const foreignQueries = async () =>
    (
      await trino.query(
        `SELECT query_id, source FROM system.runtime.queries WHERE state IN ('QUEUED', 'RUNNING') ` +
          `AND coalesce(source, '') NOT IN ('dp-bench', 'dp-bench-bronze')`,
      )
    ).rows.map(([id, source]) => `${String(source)}:${String(id)}`);
  const foreign = new Set<string>();
  // A nearly full Trino heap means back-to-back full GCs, which slow every query: worth reporting.
  const heapBefore: number[] = [];
  const trinoHeapUsedMib = async () => {
    const response = await fetch(`${e.trino}/v1/status`, { headers: { 'X-Trino-User': 'dp-bench' } });
    const status = (await response.json()) as { heapUsed?: number };
    return round((status.heapUsed ?? 0) / 2 ** 20, 0);
  };
  let measuring = false;
  const sampler = setInterval(() => {
    if (!measuring) return;
    foreignQueries()
      .then((ids) => ids.forEach((id) => foreign.add(id)))
      .catch(() => undefined);
  }, 1000);
  const measured = async <T>(run: () => Promise<T>): Promise<T> => {
    const deadline = performance.now() + 120_000;
    for (let quiet = 0; quiet < 3 && performance.now() < deadline;) {
      quiet = (await foreignQueries()).length === 0 ? quiet + 1 : 0;
      if (quiet < 3) await sleep(1000);
    }
    if (performance.now() >= deadline)
      log('Trino stayed busy with other work for 2 minutes; measuring anyway');
    heapBefore.push(await trinoHeapUsedMib());
    measuring = true;
    try {
      return await run();
    } finally {
      measuring = false;
    }
  };

  // 3. Alternate the two, `runs` times each; every run after the first replaces the month again.
  const bronze: ChildResult[] = [];
  const pyiceberg: PyIcebergResult[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      bronze.push(await measured(() => bronzeRun(run)));
      pyiceberg.push(await measured(() => pyicebergRun(run)));
    }
  } finally {
    clearInterval(sampler);
  }

  const bronzeSeconds = median(bronze.map((r) => r.seconds));
  const pyicebergSeconds = median(pyiceberg.map((r) => r.total_s));
  const summary: BronzeSummary = {
    bronze_append_s: round(bronzeSeconds),
    pyiceberg_append_s: round(pyicebergSeconds),
    ratio: round(bronzeSeconds / pyicebergSeconds, 3),
    worker_peak_rss_mib: round(Math.max(...bronze.map((r) => r.peakRssMib)), 0),
    rows: ROWS,
    files: bronze[bronze.length - 1].files,
    runs,
    bronze_runs_s: bronze.map((r) => round(r.seconds)),
    pyiceberg_runs_s: pyiceberg.map((r) => round(r.total_s)),
    pyiceberg_append_only_s: round(median(pyiceberg.map((r) => r.append_s))),
    pyiceberg_peak_rss_mib: round(Math.max(...pyiceberg.map((r) => r.peak_rss_mib)), 0),
    counts_verified_in_trino: true,
    trino_foreign_queries_seen: [...foreign].sort(),
    trino_heap_used_mib_before_runs: heapBefore,
    versions: { pyiceberg: pyiceberg[0].pyiceberg, pyarrow: pyiceberg[0].pyarrow },
  };
  return summary;
}

export type BronzeSummary = {
  bronze_append_s: number;
  pyiceberg_append_s: number;
  ratio: number;
  worker_peak_rss_mib: number;
  rows: number;
  files: number;
  runs: number;
  bronze_runs_s: number[];
  pyiceberg_runs_s: number[];
  pyiceberg_append_only_s: number;
  pyiceberg_peak_rss_mib: number;
  counts_verified_in_trino: boolean;
  trino_foreign_queries_seen: string[];
  trino_heap_used_mib_before_runs: number[];
  versions: { pyiceberg: string; pyarrow: string };
};

/** The human-readable lines of a summary (without the JSON line). */
export function bronzeSummaryLines(summary: BronzeSummary): string[] {
  return [
    `Bronze append of ${MONTH} (${summary.rows} rows), median of ${summary.runs} runs, each replacing the month:`,
    `  product path (Trino add_files + INSERT): ${summary.bronze_append_s}s  runs ${summary.bronze_runs_s.join(', ')}`,
    `  PyIceberg ${summary.versions.pyiceberg} overwrite (read+normalise+append): ${summary.pyiceberg_append_s}s  ` +
      `runs ${summary.pyiceberg_runs_s.join(', ')}; append alone ${summary.pyiceberg_append_only_s}s`,
    `  ratio bronze/pyiceberg: ${summary.ratio}`,
    `  worker peak RSS (product path): ${summary.worker_peak_rss_mib} MiB; PyIceberg process: ` +
      `${summary.pyiceberg_peak_rss_mib} MiB`,
    `  every load verified in Trino: ${summary.rows} rows for ${MONTH}, no duplicates after re-runs`,
    summary.trino_foreign_queries_seen.length > 0
      ? `  WARNING: ${summary.trino_foreign_queries_seen.length} other Trino queries ran during the measurements ` +
        '(figures may be slower)'
      : '  no other Trino queries ran during the measurements',
  ];
}

/** The command line: `[--runs N]`; prints the summary, the JSON line last. */
export async function bronzeCli(args: string[]): Promise<void> {
  const runsArg = args.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;
  const summary = await benchBronzeAppend({ runs });
  process.stdout.write([...bronzeSummaryLines(summary), JSON.stringify(summary), ''].join('\n'));
}

if (require.main === module && process.argv[2] === CHILD_FLAG) {
  runChild(process.argv[3] ?? '{}').catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
} else if (require.main === module) {
  bronzeCli(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
