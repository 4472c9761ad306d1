// `dp stream start|stop|status`: the Flink sensor job (flink/, one shaded jar) in a local MiniCluster, run
// detached like the platform's other components: pid file DP_HOME/run/flink.pid, log DP_HOME/logs/flink.log,
// checkpoints under DP_HOME/data/flink/checkpoints (a restart restores from the latest one).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Command } from 'commander';
import { S3_ACCESS_KEY_ENV, S3_SECRET_KEY_ENV } from '../lib/catalog';
import { endpoints, loadConfig, paths, REPO_ROOT, type PlatformConfig } from '../lib/config';
import { consoleReporter, formatBytes, formatSeconds, type Reporter } from '../lib/progress';
import { ensureS3Credentials } from '../platform/local/credentials';
import { javaFeatureVersion, MissingPrerequisite, requireCommand } from '../infra/local/prereqs';
import { readPid, runningPid, startDetached, stopProcess, tailFile } from '../lib/process';
import { pollUntil } from '../lib/time';
import { runLines } from '../lib/exec';

export const STREAM_COMPONENT = 'flink';
export const FLINK_PROJECT_DIR = path.join(REPO_ROOT, 'flink');
export const STREAM_JAR = path.join(FLINK_PROJECT_DIR, 'target', 'sensor-job.jar');
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
  };
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

function portOpen(hostPort: string, timeoutMs = 2000): Promise<boolean> {
  const [host, port] = [
    hostPort.slice(0, hostPort.lastIndexOf(':')),
    Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface StreamStartOptions {
  build?: boolean;
  fresh?: boolean;
  checkpointInterval?: string;
  heap?: string;
}

export async function streamStart(
  config: PlatformConfig,
  report: Reporter,
  options: StreamStartOptions = {},
) {
  const sp = streamPaths(config);
  const running = runningPid(sp.pid);
  if (running !== undefined) {
    report(STREAM_COMPONENT, `already running (pid ${running}); 'dp stream stop' first to restart it`);
    return running;
  }
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
  if (!(await portOpen(e.kafka))) {
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
  fs.mkdirSync(sp.checkpoints, { recursive: true });
  const checkpoint = options.fresh ? undefined : latestCheckpoint(sp.checkpoints);
  pruneCheckpoints(sp.checkpoints, checkpoint);
  report(
    STREAM_COMPONENT,
    checkpoint
      ? `restoring from checkpoint ${checkpoint.id} (${checkpoint.at.toISOString()}): ${checkpoint.path}`
      : 'no checkpoint to restore: starting from the consumer group offsets (earliest on first start)',
  );
  // Run a copy: a rebuild of flink/target while the job runs would pull classes from under it.
  const jar = path.join(sp.workDir, path.basename(STREAM_JAR));
  fs.copyFileSync(STREAM_JAR, jar);
  const credentials = ensureS3Credentials(paths(config).secrets);
  const java = path.join(findFlinkJavaHome(), 'bin', 'java');
  const pid = startDetached({
    name: STREAM_COMPONENT,
    command: java,
    args: [
      `-Xmx${options.heap ?? '1g'}`,
      '-XX:+UseSerialGC',
      `-Ddp.home=${config.home}`,
      '-jar',
      jar,
      '--config',
      sp.conf,
    ],
    cwd: sp.workDir,
    env: {
      ...process.env,
      [S3_ACCESS_KEY_ENV]: credentials.accessKey,
      [S3_SECRET_KEY_ENV]: credentials.secretKey,
    },
    logFile: sp.log,
    pidFile: sp.pid,
    marker: config.home,
  });
  report(STREAM_COMPONENT, `started (pid ${pid}); log ${sp.log}`);
  const logStart = fs.existsSync(sp.log) ? fs.statSync(sp.log).size : 0;
  const jobRunning = await pollUntil(
    async () => {
      if (runningPid(sp.pid) === undefined) {
        throw new Error(`the job exited during start-up; last log lines:\n${tailFile(sp.log, 30)}`);
      }
      const text = readFrom(sp.log, logStart);
      if (/Exception in thread "main"/.test(text)) {
        await stopProcess(sp.pid, 5000);
        throw new Error(`the job failed during start-up; last log lines:\n${tailFile(sp.log, 30)}`);
      }
      return /switched from state CREATED to RUNNING/.test(text);
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  if (jobRunning) {
    report(STREAM_COMPONENT, 'job RUNNING; rows reach the table on each completed checkpoint');
    return pid;
  }
  report(STREAM_COMPONENT, `still starting after 60 s; see ${sp.log}`);
  return pid;
}

function readFrom(file: string, offset: number): string {
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
  const checkpoint = latestCheckpoint(sp.checkpoints);
  const tail = tailFile(sp.log, 400);
  const counters = tail
    .split('\n')
    .filter((line) => /checkpoint \d+ complete: /.test(line))
    .pop()
    ?.replace(/^.* - /, '');
  return {
    running: pid !== undefined,
    pid,
    startedAt: pid !== undefined ? readPid(sp.pid)?.startedAt : undefined,
    jar: STREAM_JAR,
    jarState: jarState(),
    checkpointDir: sp.checkpoints,
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

export function registerStreamCommands(program: Command) {
  const stream = program
    .command('stream')
    .description('the Flink sensor job: Kafka sensor-topic -> 1-minute windows -> iot.sensor_temperature_1m');
  stream
    .command('start')
    .description('build the jar if needed and start the job detached (restores from the latest checkpoint)')
    .option('--no-build', 'never build the jar (fail when it is missing)')
    .option('--fresh', 'ignore existing checkpoints (offsets then come from the consumer group)')
    .option('--checkpoint-interval <ms>', 'checkpoint (= Iceberg commit) interval in milliseconds', '10000')
    .option('--heap <size>', 'JVM heap of the job', '1g')
    .action(async (options: StreamStartOptions) => {
      await streamStart(loadConfig(), consoleReporter, options);
    });
  stream
    .command('stop')
    .description('stop the job (its checkpoints stay; the next start restores from the latest)')
    .action(async () => {
      const config = loadConfig();
      const stopped = await stopProcess(streamPaths(config).pid, 30_000);
      console.log(stopped ? 'stream job stopped' : 'stream job was not running');
    });
  stream
    .command('build')
    .description('build flink/target/sensor-job.jar (with its tests)')
    .action(async () => {
      await buildStreamJar(consoleReporter, { tests: true });
    });
  stream
    .command('status')
    .description('whether the job runs, its pid and its latest checkpoint')
    .option('--json', 'as JSON')
    .action((options: { json?: boolean }) => {
      const status = streamStatus(loadConfig());
      if (options.json) {
        console.log(JSON.stringify(status, null, 2));
      } else {
        console.log(
          status.running ? `running (pid ${status.pid}, since ${status.startedAt})` : 'not running',
        );
        const c = status.latestCheckpoint;
        console.log(
          c
            ? `latest checkpoint: ${c.id} at ${c.at} (${c.ageSeconds} s ago) ${c.path}`
            : `latest checkpoint: none under ${status.checkpointDir}`,
        );
        if (status.counters) console.log(`last reported: ${status.counters}`);
        console.log(`jar: ${status.jar} (${status.jarState})`);
        console.log(`log: ${status.log}`);
      }
      if (!status.running) process.exitCode = 3;
    });
}
