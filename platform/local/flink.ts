// The Flink sensor job (flink/, one shaded jar) on the local platform, run in a local MiniCluster as a
// local component like the platform's others (services.ts, supervisor.ts): pid file DP_HOME/run/flink.pid,
// log DP_HOME/logs/flink.log, checkpoints under DP_HOME/data/flink/checkpoints (a restart restores from the
// latest one). Here: the jar's build, the job's configuration and checkpoints, its command line, and the
// wanted marker (DP_HOME/run/flink.wanted.json) through which the platform watch restarts it as the same job.
import * as fs from 'node:fs';
import { runLines } from '../../lib/exec';
import * as path from 'node:path';
import { endpoints, paths, type PlatformConfig } from '../../lib/config';
import { formatBytes, formatSeconds, type Reporter } from '../../lib/progress';
import { s3CredentialsEnv } from './credentials';
import { javaFeatureVersion, MissingPrerequisite, requireCommand } from '../../infra/local/prereqs';
import { connectOutcome, readPid, runningPid, tailFile } from '../../lib/process';

export const STREAM_COMPONENT = 'flink';
import { FLINK_PROJECT_DIR, STREAM_JAR } from '../../infra/local/flink-job';

export { FLINK_PROJECT_DIR, STREAM_JAR };
/** Flink 1.20 supports Java 11 and 17 (21 experimentally); Hadoop's security code fails on Java 23+. */
const FLINK_JAVA_VERSIONS = [17, 21, 11];

/** A JDK Flink 1.20 runs on: DP_FLINK_JAVA_HOME, else JAVA_HOME or /usr/lib/jvm/*, preferring 17. */
export function findFlinkJavaHome(): string {
  if (process.env.DP_FLINK_JAVA_HOME) return process.env.DP_FLINK_JAVA_HOME;
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(process.env.JAVA_HOME);
  const jvmDir = '/usr/lib/jvm';
  if (fs.existsSync(jvmDir)) {
    for (const name of fs.readdirSync(jvmDir).sort()) candidates.push(path.join(jvmDir, name));
  }
  for (const wanted of FLINK_JAVA_VERSIONS) {
    const home = candidates.find(
      (h) => fs.existsSync(path.join(h, 'bin', 'java')) && javaFeatureVersion(h) === wanted,
    );
    if (home) return home;
  }
  throw new MissingPrerequisite(
    'The Flink job needs a JDK 17 (or 21/11); found none in JAVA_HOME or /usr/lib/jvm. ' +
      'Install one (apt-get install openjdk-17-jdk-headless) or set DP_FLINK_JAVA_HOME.',
  );
}

export function streamPaths(config: PlatformConfig) {
  const p = paths(config);
  return {
    pid: p.pid(STREAM_COMPONENT),
    log: p.log(STREAM_COMPONENT),
    conf: path.join(p.conf(STREAM_COMPONENT), 'job.properties'),
    checkpoints: path.join(p.data(STREAM_COMPONENT), 'checkpoints'),
    workDir: p.data(STREAM_COMPONENT),
    /** Present while the user wants the job running (see StreamJobSettings); the watch restarts it then. */
    wanted: path.join(path.dirname(p.pid(STREAM_COMPONENT)), `${STREAM_COMPONENT}.wanted.json`),
  };
}

/**
 * What `dp stream start` was asked for, kept in the wanted marker from the start until `dp stream stop`, so
 * that the platform watch restarts a killed job as the same job: same topic, table and checkpoint folder
 * (from the DP_STREAM_* variables of the start), same interval and heap; it restores its latest checkpoint.
 */
export interface StreamJobSettings {
  checkpointInterval?: string;
  heap?: string;
  /** The DP_STREAM_* variables of the start (the job reads its settings from them, over its config file). */
  env: Record<string, string>;
  /** Where the log stood when the job's current process was launched (to find its RUNNING line). */
  launchedAtLogOffset?: number;
}

const STREAM_ENV = /^DP_STREAM_[A-Z0-9_]+$/;

/** The DP_STREAM_* variables of an environment, sorted by name. */
export function streamEnvOverrides(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env)
      .filter((entry): entry is [string, string] => STREAM_ENV.test(entry[0]) && entry[1] !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Whether two starts ask for the same job (the log offset is bookkeeping, not a setting). */
export function sameStreamSettings(a: StreamJobSettings, b: StreamJobSettings): boolean {
  const key = (s: StreamJobSettings) =>
    JSON.stringify([s.checkpointInterval ?? null, s.heap ?? null, streamEnvOverrides(s.env)]);
  return key(a) === key(b);
}

/** The settings in the wanted marker, or undefined when the user does not want the job running. */
export function readWantedStream(config: PlatformConfig): StreamJobSettings | undefined {
  const file = streamPaths(config).wanted;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as StreamJobSettings;
    return { ...parsed, env: streamEnvOverrides(parsed.env ?? {}) };
  } catch (err) {
    throw new Error(
      `${file} is not valid JSON (${(err as Error).message}); run 'dp stream stop' to clear it, then start again.`,
      { cause: err },
    );
  }
}

export function writeWantedStream(config: PlatformConfig, settings: StreamJobSettings): void {
  const file = streamPaths(config).wanted;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written whole, then renamed: a reader never sees half a marker.
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(settings, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

export function clearWantedStream(config: PlatformConfig): void {
  fs.rmSync(streamPaths(config).wanted, { force: true });
}

/** The checkpoint folder the job uses: DP_STREAM_CHECKPOINT_DIR of its start, else the platform's. */
export function effectiveCheckpointDir(config: PlatformConfig, env: Record<string, string> = {}): string {
  return env.DP_STREAM_CHECKPOINT_DIR || streamPaths(config).checkpoints;
}

/** The newest source file of the job (pom.xml and src/main), to tell whether the jar is stale. */
function newestSourceMtime(dir = FLINK_PROJECT_DIR): number {
  let newest = 0;
  const visit = (p: string) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const entry of ['pom.xml', path.join('src', 'main')]) {
    const p = path.join(dir, entry);
    if (fs.existsSync(p)) visit(p);
  }
  return newest;
}

export function jarState(): 'missing' | 'stale' | 'current' {
  if (!fs.existsSync(STREAM_JAR)) return 'missing';
  return fs.statSync(STREAM_JAR).mtimeMs < newestSourceMtime() ? 'stale' : 'current';
}

/** Builds flink/target/sensor-job.jar with Maven, showing its progress (modules, downloads, result). */
export async function buildStreamJar(report: Reporter, options: { tests?: boolean } = {}): Promise<void> {
  const mvn = requireCommand('mvn', 'Install Maven 3.8+ (apt-get install maven).');
  const args = ['-B', 'package', ...(options.tests ? [] : ['-DskipTests'])];
  report(
    STREAM_COMPONENT,
    `building ${path.relative(process.cwd(), STREAM_JAR)}: mvn ${args.join(' ')} (first build downloads ~300 MB of dependencies)`,
  );
  const started = Date.now();
  let downloads = 0;
  let lastDownloadReport = Date.now();
  const { code, output } = await runLines(mvn, args, {
    cwd: FLINK_PROJECT_DIR,
    env: { ...process.env, JAVA_HOME: findFlinkJavaHome() },
    keepLines: 60,
    onLine: (line) => {
      if (/^(Downloading|Downloaded) from/.test(line)) {
        downloads++;
        if (Date.now() - lastDownloadReport > 5000) {
          lastDownloadReport = Date.now();
          report(STREAM_COMPONENT, `  ${downloads} dependency downloads so far`);
        }
      } else if (/^\[INFO\] --- |^\[INFO\] Tests run:|BUILD (SUCCESS|FAILURE)|^\[ERROR\]/.test(line)) {
        report(STREAM_COMPONENT, '  ' + line.replace(/^\[INFO\] /, ''));
      }
    },
  });
  if (code !== 0) throw new Error(`mvn package failed (exit ${code}) in ${FLINK_PROJECT_DIR}:\n${output}`);
  report(
    STREAM_COMPONENT,
    `built ${path.basename(STREAM_JAR)} (${formatBytes(fs.statSync(STREAM_JAR).size)}) in ${formatSeconds(Date.now() - started)}`,
  );
}

/** Java properties of the job: the platform's endpoints; never the S3 keys (those go by environment). */
export function streamJobProperties(
  config: PlatformConfig,
  options: { checkpointIntervalMs?: number; fresh?: boolean },
) {
  const e = endpoints(config);
  const sp = streamPaths(config);
  const props: Record<string, string> = {
    'kafka.bootstrap': e.kafka,
    'catalog.uri': e.nessieIcebergRest,
    'catalog.warehouse': config.warehouseBucket,
    'catalog.name': config.catalog,
    's3.endpoint': e.s3,
    'checkpoint.dir': sp.checkpoints,
    'checkpoint.interval-ms': String(options.checkpointIntervalMs ?? 10000),
    restore: options.fresh ? 'never' : 'auto',
    // The local MiniCluster's RPC, blob and REST sockets bind the platform's host, not every interface.
    'bind.host': config.host,
  };
  return props;
}

export interface CheckpointInfo {
  path: string;
  id: number;
  at: Date;
}

/** The newest complete checkpoint: <dir>/<job-id>/chk-<n>/_metadata (the same rule the job uses to restore). */
export function latestCheckpoint(dir: string): CheckpointInfo | undefined {
  if (!fs.existsSync(dir)) return undefined;
  let best: CheckpointInfo | undefined;
  for (const job of fs.readdirSync(dir)) {
    const jobDir = path.join(dir, job);
    if (!fs.statSync(jobDir).isDirectory()) continue;
    for (const chk of fs.readdirSync(jobDir)) {
      const match = /^chk-(\d+)$/.exec(chk);
      const metadata = path.join(jobDir, chk, '_metadata');
      if (!match || !fs.existsSync(metadata)) continue;
      const at = fs.statSync(metadata).mtime;
      const id = Number(match[1]);
      if (!best || at > best.at || (at.getTime() === best.at.getTime() && id > best.id)) {
        best = { path: path.join(jobDir, chk), id, at };
      }
    }
  }
  return best;
}

/**
 * Each run is a new Flink job with its own <dir>/<job-id>/ (retaining its last few checkpoints): keep only the job
 * that holds the checkpoint about to be restored (the new run's own checkpoints are self-contained full ones).
 */
export function pruneCheckpoints(dir: string, keep: CheckpointInfo | undefined) {
  if (!keep || !fs.existsSync(dir)) return;
  const keepJob = path.dirname(keep.path);
  for (const job of fs.readdirSync(dir)) {
    const jobDir = path.join(dir, job);
    if (jobDir !== keepJob && fs.statSync(jobDir).isDirectory())
      fs.rmSync(jobDir, { recursive: true, force: true });
  }
}

export interface StreamStartOptions {
  build?: boolean;
  /** The job's DP_STREAM_* variables (default: this process's). */
  streamEnv?: Record<string, string>;
  fresh?: boolean;
  checkpointInterval?: string;
  heap?: string;
}

/**
 * Everything before the job's process starts: the jar (built when missing or older than its sources, unless
 * `build` is false), the job's properties file, the checkpoint to restore (older jobs' checkpoints pruned),
 * and a copy of the jar to run.
 */
export async function prepareStreamJob(
  config: PlatformConfig,
  report: Reporter,
  options: StreamStartOptions = {},
): Promise<void> {
  const sp = streamPaths(config);
  const state = jarState();
  if (state === 'missing' && options.build === false) {
    throw new Error(`${STREAM_JAR} is missing; run without --no-build or 'mvn -B package' in flink/`);
  }
  if (state !== 'current' && options.build !== false) {
    if (state === 'stale') report(STREAM_COMPONENT, 'the jar is older than flink/ sources: rebuilding');
    await buildStreamJar(report);
  }
  const interval = options.checkpointInterval === undefined ? undefined : Number(options.checkpointInterval);
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 1000)) {
    throw new Error(
      `Invalid --checkpoint-interval '${options.checkpointInterval}': milliseconds, at least 1000.`,
    );
  }
  const e = endpoints(config);
  if ((await connectOutcome(config.ports.kafka, config.host)) !== 'connected') {
    report(
      STREAM_COMPONENT,
      `warning: Kafka does not answer at ${e.kafka}; the job starts anyway and retries`,
    );
  }
  const props = streamJobProperties(config, { checkpointIntervalMs: interval, fresh: options.fresh });
  fs.mkdirSync(path.dirname(sp.conf), { recursive: true });
  fs.writeFileSync(
    sp.conf,
    '# Written by dp stream start; S3 keys come from the environment.\n' +
      Object.entries(props)
        .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`)
        .join('\n') +
      '\n',
  );
  const checkpointDir = effectiveCheckpointDir(config, options.streamEnv ?? streamEnvOverrides());
  fs.mkdirSync(checkpointDir, { recursive: true });
  const checkpoint = options.fresh ? undefined : latestCheckpoint(checkpointDir);
  pruneCheckpoints(checkpointDir, checkpoint);
  report(
    STREAM_COMPONENT,
    checkpoint
      ? `restoring from checkpoint ${checkpoint.id} (${checkpoint.at.toISOString()}): ${checkpoint.path}`
      : 'no checkpoint to restore: starting from the consumer group offsets (earliest on first start)',
  );
  // Run a copy: a rebuild of flink/target while the job runs would pull classes from under it.
  fs.copyFileSync(STREAM_JAR, streamJobJar(config));
}

/** The copy of the jar the job runs (see prepareStreamJob). */
function streamJobJar(config: PlatformConfig): string {
  return path.join(streamPaths(config).workDir, path.basename(STREAM_JAR));
}

/** How the job's JVM is started, once prepareStreamJob has run. */
export function streamJobCommand(
  config: PlatformConfig,
  options: { heap?: string; streamEnv?: Record<string, string> } = {},
) {
  const sp = streamPaths(config);
  // The job's DP_STREAM_* settings are exactly those of its start (a restart by the watch runs in the
  // worker, whose own environment has none of them).
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !STREAM_ENV.test(name)),
  );
  return {
    command: path.join(findFlinkJavaHome(), 'bin', 'java'),
    args: [
      `-Xmx${options.heap ?? '1g'}`,
      '-XX:+UseSerialGC',
      `-Ddp.home=${config.home}`,
      '-jar',
      streamJobJar(config),
      '--config',
      sp.conf,
    ],
    cwd: sp.workDir,
    env: {
      ...inherited,
      ...(options.streamEnv ?? streamEnvOverrides()),
      ...s3CredentialsEnv(paths(config).secrets),
    },
  };
}

/** What the log got since `offset` (at most its last 4 MiB), for the start-up markers. */
export function readFrom(file: string, offset: number): string {
  try {
    const size = fs.statSync(file).size;
    if (size <= offset) return '';
    const fd = fs.openSync(file, 'r');
    const length = Math.min(size - offset, 4 * 1024 * 1024);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    fs.closeSync(fd);
    return buffer.toString('utf8');
  } catch {
    return '';
  }
}

export interface StreamStatus {
  running: boolean;
  /** Started by `dp stream start` and not stopped since: the platform watch restarts it when it dies. */
  wanted: boolean;
  pid?: number;
  startedAt?: string;
  jar: string;
  jarState: string;
  checkpointDir: string;
  latestCheckpoint?: { id: number; at: string; path: string; ageSeconds: number };
  counters?: string;
  log: string;
}

export function streamStatus(config: PlatformConfig): StreamStatus {
  const sp = streamPaths(config);
  const pid = runningPid(sp.pid);
  const wanted = readWantedStream(config);
  const checkpointDir = effectiveCheckpointDir(config, wanted?.env);
  const checkpoint = latestCheckpoint(checkpointDir);
  const tail = tailFile(sp.log, 400);
  const counters = tail
    .split('\n')
    .filter((line) => /checkpoint \d+ complete: /.test(line))
    .pop()
    ?.replace(/^.* - /, '');
  return {
    running: pid !== undefined,
    wanted: wanted !== undefined,
    pid,
    startedAt: pid !== undefined ? readPid(sp.pid)?.startedAt : undefined,
    jar: STREAM_JAR,
    jarState: jarState(),
    checkpointDir,
    latestCheckpoint: checkpoint && {
      id: checkpoint.id,
      at: checkpoint.at.toISOString(),
      path: checkpoint.path,
      ageSeconds: Math.round((Date.now() - checkpoint.at.getTime()) / 1000),
    },
    counters,
    log: sp.log,
  };
}
