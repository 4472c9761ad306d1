// How each component of the embedded platform is configured and started on one machine (probed in
// health.ts; started, adopted and stopped by supervisor.ts).
import { devServerSearchAttributeFlags } from '../../domain/search-attributes';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lakehouseCatalogAt, toPropertiesFile } from '../../lib/catalog';
import { derivedPorts, endpoints, paths, REPO_ROOT, type PlatformConfig, type Ports } from '../../lib/config';
import { targetFingerprint } from '../target';
import { ensureS3Credentials, s3CredentialsEnv, writePrivateFile } from './credentials';
import { airflowProcessCommand } from './airflow';
import { streamJobCommand } from './flink';
import { toolPaths } from '../../infra/local/install';
import { assertBindAllowed } from './bind-policy';
import type { ProcessSpec } from '../../lib/process';
import { findJavaHome } from '../../infra/local/prereqs';
import { KAFKA_MIN_JAVA, NESSIE_MIN_JAVA, TRINO_MIN_JAVA } from '../../infra/local/versions';

/**
 * Every process dp runs on this machine, each using only those before it: `dp down` stops them in the
 * reverse order (the Flink job and Airflow first, then the worker, Temporal last).
 */
export const LOCAL_COMPONENTS = [
  'temporal',
  'objectstore',
  'kafka',
  'nessie',
  'trino',
  'worker',
  'tlcmirror',
  'airflow-api-server',
  'airflow-dag-processor',
  'airflow-scheduler',
  'flink',
] as const;
export type LocalComponent = (typeof LOCAL_COMPONENTS)[number];
/** The platform proper (`dp up`, `dp status`), in the order `dp status` shows them. */
export const PLATFORM_COMPONENTS = [
  'temporal',
  'worker',
  'objectstore',
  'nessie',
  'trino',
  'kafka',
] as const satisfies readonly LocalComponent[];
/**
 * Optional parts with a command of their own (`dp airflow up`, `dp stream start`): `dp down` names them only
 * when they ran. (The TLC mirror, an offline stand-in for the source, is started on demand too.)
 */
export const ADDON_COMPONENTS: readonly LocalComponent[] = [
  'airflow-api-server',
  'airflow-dag-processor',
  'airflow-scheduler',
  'flink',
];

export const COMPONENT_LABELS: Record<LocalComponent, string> = {
  temporal: 'Temporal dev server',
  worker: 'Temporal worker',
  objectstore: 'object store (SeaweedFS S3)',
  nessie: 'Nessie catalog',
  trino: 'Trino',
  kafka: 'Kafka (KRaft)',
  tlcmirror: 'TLC mirror (offline source)',
  'airflow-api-server': 'Airflow API server',
  'airflow-dag-processor': 'Airflow DAG processor',
  'airflow-scheduler': 'Airflow scheduler',
  flink: 'Flink sensor job',
};

/** Ports each component binds, by config name; checked before anything starts. */
export function componentPorts(config: PlatformConfig): Record<LocalComponent, [string, number][]> {
  const p = config.ports;
  const d = derivedPorts(p);
  const pick = (...names: (keyof Ports)[]) => names.map((n) => [n, p[n]] as [string, number]);
  return {
    temporal: pick('temporal', 'temporalUi'),
    worker: [],
    objectstore: [
      ...pick('s3', 'seaweedMaster', 'seaweedVolume', 'seaweedFiler'),
      ...Object.entries(d).map(([n, port]) => [n, port] as [string, number]),
    ],
    nessie: pick('nessie', 'nessieManagement'),
    trino: pick('trino'),
    kafka: pick('kafka', 'kafkaController'),
    tlcmirror: pick('tlcMirror'),
    'airflow-api-server': pick('airflow'),
    'airflow-dag-processor': [],
    'airflow-scheduler': [],
    flink: [],
  };
}

/** How long a component may take from process start to healthy, on a loaded 2-core machine. */
export const STARTUP_TIMEOUT_MS: Record<LocalComponent, number> = {
  temporal: 60_000,
  worker: 120_000,
  objectstore: 60_000,
  nessie: 120_000,
  trino: 240_000,
  kafka: 120_000,
  tlcmirror: 30_000,
  // Airflow's three are waited for together, until the API server answers; the Flink job until it is RUNNING.
  'airflow-api-server': 180_000,
  'airflow-dag-processor': 180_000,
  'airflow-scheduler': 180_000,
  flink: 60_000,
};

/** How long a component may take to stop after SIGTERM before it is killed. */
export function stopGraceMs(component: LocalComponent): number {
  // The Flink job cancels cleanly within a checkpoint's time.
  return component === 'flink' ? 30_000 : 20_000;
}

/** How a component is started; its name, pid file and log come from the component's name. */
type ComponentCommand = Omit<ProcessSpec, 'logFile' | 'pidFile' | 'name' | 'marker'> & { marker?: string };

/** What `dp airflow up` and `dp stream start` pass to their components' start. */
export interface ComponentOptions {
  /** Airflow: where the DAG fetches the TLC files (the offline mirror with --mirror). */
  tlcBaseUrl?: string;
  /** The Flink job's JVM heap. */
  heap?: string;
  /** The Flink job's DP_STREAM_* variables (default: this process's). */
  streamEnv?: Record<string, string>;
}

/** A component's data folder under the platform's home, created if it is not there yet. */
function dataDirOf(config: PlatformConfig, component: string): string {
  const dataDir = paths(config).data(component);
  fs.mkdirSync(dataDir, { recursive: true });
  return dataDir;
}

function temporalSpec(config: PlatformConfig): ComponentCommand {
  const dataDir = dataDirOf(config, 'temporal');
  return {
    command: toolPaths(config.cacheDir).temporal,
    args: [
      'server',
      'start-dev',
      // SQLite file: workflow history survives restarts.
      '--db-filename',
      path.join(dataDir, 'temporal.db'),
      '--ip',
      config.host,
      '--ui-ip',
      config.host,
      '--port',
      String(config.ports.temporal),
      '--ui-port',
      String(config.ports.temporalUi),
      '--namespace',
      config.temporalNamespace,
      '--log-level',
      'warn',
      // Search attributes the ELT workflows set, so the UI can filter runs by month and stage.
      ...devServerSearchAttributeFlags(),
    ],
    cwd: dataDir,
  };
}

/** Volume slots of the local object store: 128 volumes of at most 1 GiB each, allocated only as written. */
const OBJECT_STORE_VOLUME_SLOTS = 128;

/** Sources the worker runs: when any changes, `dp up` replaces the running worker. */
const WORKER_SOURCE_DIRS = [
  'worker',
  'workflows',
  'activities',
  'platform',
  'clients',
  'infra',
  'domain',
  'lib',
];

export function sourceFingerprint(dirs: string[] = WORKER_SOURCE_DIRS): string {
  const hash = createHash('sha256');
  const visit = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'target', 'logs', 'dbt_packages'].includes(entry.name)) visit(full);
      } else if (/\.(ts|sql|yml|yaml|csv|py)$/.test(entry.name)) {
        hash.update(full).update(fs.readFileSync(full));
      }
    }
  };
  for (const dir of dirs) visit(path.join(REPO_ROOT, dir));
  return hash.digest('hex').slice(0, 16);
}

/** What a running process must match to be kept: the worker's source code; others have none. */
export function componentFingerprint(component: LocalComponent, config: PlatformConfig): string | undefined {
  if (component !== 'worker') return undefined;
  // The worker's target (local or a Kubernetes cluster, from the environment) is part of what it runs, and
  // so is where it may fetch sources from: a host added to the allow-list takes effect at the next dp up.
  const sources = createHash('sha256')
    .update(JSON.stringify([config.tlcBaseUrl, config.sourceAllowedHosts]))
    .digest('hex')
    .slice(0, 8);
  return sourceFingerprint() + targetFingerprint() + sources;
}

function workerSpec(config: PlatformConfig): ComponentCommand {
  return {
    fingerprint: componentFingerprint('worker', config),
    command: process.execPath,
    args: [path.join(REPO_ROOT, 'bin', 'dp.js'), 'worker', `--home=${config.home}`],
    cwd: REPO_ROOT,
    env: { ...process.env, DP_HOME: config.home, DP_CACHE_DIR: config.cacheDir },
  };
}

export function tlcMirrorDir(config: PlatformConfig): string {
  return paths(config).data('tlc-mirror');
}

function tlcMirrorSpec(config: PlatformConfig): ComponentCommand {
  return {
    command: process.execPath,
    args: [path.join(REPO_ROOT, 'bin', 'dp.js'), 'tlc', 'serve', `--home=${config.home}`],
    cwd: REPO_ROOT,
    env: { ...process.env, DP_HOME: config.home, DP_CACHE_DIR: config.cacheDir },
  };
}

function objectStoreSpec(config: PlatformConfig): ComponentCommand {
  const p = config.ports;
  const d = derivedPorts(p);
  const dataDir = dataDirOf(config, 'seaweedfs');
  const confDir = paths(config).conf('seaweedfs');
  const credentials = ensureS3Credentials(paths(config).secrets);
  const s3Config = path.join(confDir, 's3.json');
  writePrivateFile(
    s3Config,
    JSON.stringify(
      {
        identities: [
          {
            name: 'lakehouse',
            credentials: [{ accessKey: credentials.accessKey, secretKey: credentials.secretKey }],
            actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
          },
        ],
      },
      null,
      2,
    ),
  );
  return {
    command: toolPaths(config.cacheDir).weed,
    args: [
      'server',
      `-dir=${dataDir}`,
      `-ip=${config.host}`,
      `-ip.bind=${config.host}`,
      `-master.port=${p.seaweedMaster}`,
      `-master.port.grpc=${d.seaweedMasterGrpc}`,
      `-volume.port=${p.seaweedVolume}`,
      `-volume.port.grpc=${d.seaweedVolumeGrpc}`,
      `-filer.port=${p.seaweedFiler}`,
      `-filer.port.grpc=${d.seaweedFilerGrpc}`,
      '-s3',
      `-s3.port=${p.s3}`,
      `-s3.port.grpc=${d.s3Grpc}`,
      `-s3.config=${s3Config}`,
      // SeaweedFS's own Iceberg and Lance endpoints are not used: Nessie is the catalog.
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      // Small volumes and no pre-allocation: a laptop-sized store, not a cluster.
      '-master.volumeSizeLimitMB=1024',
      // Stop promptly on SIGTERM (the default waits 10 s for a load balancer that does not exist here).
      '-volume.preStopSeconds=1',
      // A fixed count of (sparse, 1 GiB) volume slots: with 0 SeaweedFS derives it from the disk's free space
      // at start, and a nearly full disk then leaves no slot for a new bucket's volumes although gigabytes
      // are free. The store still refuses writes below its minimum free space (1% of the disk).
      `-volume.max=${OBJECT_STORE_VOLUME_SLOTS}`,
    ],
    cwd: dataDir,
  };
}

function nessieSpec(config: PlatformConfig): ComponentCommand {
  const e = endpoints(config);
  const confDir = paths(config).conf('nessie');
  const dataDir = dataDirOf(config, 'nessie');
  const credentials = ensureS3Credentials(paths(config).secrets);
  const properties: Record<string, string> = {
    'quarkus.http.host': config.host,
    'quarkus.http.port': String(config.ports.nessie),
    'quarkus.management.host': config.host,
    'quarkus.management.port': String(config.ports.nessieManagement),
    'quarkus.otel.sdk.disabled': 'true',
    'quarkus.log.console.format': '%d{HH:mm:ss} %-5p [%c{2.}] %s%e%n',
    'nessie.server.default-branch': 'main',
    'nessie.version.store.type': 'ROCKSDB',
    'nessie.version.store.persist.rocks.database-path': path.join(dataDir, 'rocksdb'),
    'nessie.catalog.default-warehouse': config.warehouseBucket,
    [`nessie.catalog.warehouses.${config.warehouseBucket}.location`]: `s3://${config.warehouseBucket}/`,
    'nessie.catalog.service.s3.default-options.endpoint': e.s3 + '/',
    'nessie.catalog.service.s3.default-options.path-style-access': 'true',
    'nessie.catalog.service.s3.default-options.region': 'us-east-1',
    'nessie.catalog.service.s3.default-options.access-key': 'urn:nessie-secret:quarkus:dp.s3',
    'dp.s3.name': credentials.accessKey,
    'dp.s3.secret': credentials.secretKey,
  };
  // Quarkus reads config/application.properties from its working directory; it holds the S3 secret.
  writePrivateFile(path.join(confDir, 'config', 'application.properties'), toPropertiesFile(properties));
  const java = path.join(findJavaHome(NESSIE_MIN_JAVA), 'bin', 'java');
  return {
    command: java,
    args: [
      `-Xmx${config.nessieHeap}`,
      '-XX:+UseSerialGC',
      // Marks the process as this platform's (dp finds its own processes by their DP_HOME).
      `-Ddp.home=${config.home}`,
      '-jar',
      toolPaths(config.cacheDir).nessieJar,
    ],
    cwd: confDir,
  };
}

/** Query memory per node: 60% of the heap (Trino keeps 30% as headroom for itself). */
export function queryMemoryMiB(heap: string): number {
  const match = /^(\d+)([GgMm])$/.exec(heap);
  if (!match) throw new Error(`Invalid Trino heap '${heap}': use e.g. 4G or 3072M.`);
  const mib = Number(match[1]) * (match[2].toUpperCase() === 'G' ? 1024 : 1);
  return Math.floor(mib * 0.6);
}

function trinoSpec(config: PlatformConfig): ComponentCommand {
  const e = endpoints(config);
  const etc = paths(config).conf('trino');
  fs.mkdirSync(path.join(etc, 'catalog'), { recursive: true });
  const dataDir = dataDirOf(config, 'trino');
  fs.mkdirSync(path.join(dataDir, 'spill'), { recursive: true });
  const nodeIdFile = path.join(dataDir, 'node-id');
  if (!fs.existsSync(nodeIdFile)) fs.writeFileSync(nodeIdFile, randomUUID());
  const files: Record<string, string> = {
    'node.properties': toPropertiesFile({
      'node.environment': 'lakehouse',
      'node.id': fs.readFileSync(nodeIdFile, 'utf8').trim(),
      'node.data-dir': dataDir,
      // Trino's HTTP server binds every interface unless told; it has no authentication here.
      'node.bind-ip': config.host === 'localhost' ? '127.0.0.1' : config.host,
      'node.internal-address': config.host,
    }),
    'config.properties': toPropertiesFile({
      coordinator: 'true',
      'node-scheduler.include-coordinator': 'true',
      'http-server.http.port': String(config.ports.trino),
      'discovery.uri': e.trino,
      // Catalogs can be added at run time (one per Nessie branch for Write-Audit-Publish) and persist.
      'catalog.management': 'dynamic',
      'catalog.store': 'file',
      // A full month's Silver de-duplication (a window over ~4 M rows) needs ~1.5 GB of query memory.
      'query.max-memory': `${queryMemoryMiB(config.trinoHeap)}MB`,
      'query.max-memory-per-node': `${queryMemoryMiB(config.trinoHeap)}MB`,
      // Past that, operators that can (joins, aggregations, windows, sorts) spill to local disk.
      'spill-enabled': 'true',
      'spiller-spill-path': path.join(dataDir, 'spill'),
    }),
    'jvm.config':
      [
        '-server',
        `-Xmx${config.trinoHeap}`,
        '-XX:+UseG1GC',
        '-XX:G1HeapRegionSize=32M',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-XX:+ExitOnOutOfMemoryError',
        '-XX:ReservedCodeCacheSize=256M',
        '-XX:PerMethodRecompilationCutoff=10000',
        '-XX:PerBytecodeRecompilationCutoff=10000',
        '-Djdk.attach.allowAttachSelf=true',
        '-Djdk.nio.maxCachedBufferSize=2000000',
        '-Dfile.encoding=UTF-8',
        '-XX:+EnableDynamicAgentLoading',
        '--add-modules=jdk.incubator.vector',
      ].join('\n') + '\n',
    'log.properties': toPropertiesFile({ 'io.trino': 'INFO' }),
  };
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(etc, name), content);
  fs.writeFileSync(
    path.join(etc, 'catalog', `${config.catalog}.properties`),
    toPropertiesFile(lakehouseCatalogAt({ ...e, warehouseBucket: config.warehouseBucket }, 'main')),
  );
  const javaHome = findJavaHome(TRINO_MIN_JAVA);
  return {
    command: path.join(toolPaths(config.cacheDir).trinoHome, 'bin', 'launcher'),
    args: ['run', `--etc-dir=${etc}`, `--data-dir=${dataDir}`, `--jvm-dir=${javaHome}`],
    cwd: dataDir,
    env: {
      ...process.env,
      JAVA_HOME: javaHome,
      ...s3CredentialsEnv(paths(config).secrets),
    },
  };
}

/** Kafka's broker settings: one KRaft node that is both broker and controller, sized for a small machine. */
export function kafkaServerProperties(config: PlatformConfig): Record<string, string> {
  const { host, ports } = config;
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.bootstrap.servers': `${host}:${ports.kafkaController}`,
    listeners: `PLAINTEXT://${host}:${ports.kafka},CONTROLLER://${host}:${ports.kafkaController}`,
    'advertised.listeners': `PLAINTEXT://${host}:${ports.kafka}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': path.join(paths(config).data('kafka'), 'logs'),
    // Topics created without a partition count (auto-creation is off, so only by hand) get a few.
    'num.partitions': '3',
    'auto.create.topics.enable': 'false',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    // One broker: internal topics cannot have more than one replica.
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '10',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    // Few threads: a 2-core machine shared with Trino and Nessie.
    'num.network.threads': '2',
    'num.io.threads': '4',
    'num.recovery.threads.per.data.dir': '1',
    'background.threads': '4',
    'log.retention.hours': '168',
    'log.segment.bytes': String(256 * 1024 * 1024),
    'log.retention.check.interval.ms': '300000',
  };
}

const KAFKA_LOG4J2 = [
  '# Generated by dp: the broker logs to stdout, which dp appends to logs/kafka.log.',
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = INFO',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.request.name = kafka.request.logger',
  'logger.request.level = WARN',
  'logger.controller.name = org.apache.kafka.controller',
  'logger.controller.level = INFO',
  'logger.state.name = state.change.logger',
  'logger.state.level = WARN',
  'logger.authorizer.name = kafka.authorizer.logger',
  'logger.authorizer.level = WARN',
  '',
].join('\n');

/** The cluster id the data dir was (or will be) formatted with; created once and kept beside the data. */
/**
 * A new cluster id in Kafka's Uuid text form: 16 random bytes, URL-safe base64 without padding (22
 * characters). Like Kafka's own Uuid.randomUuid, never one that starts with '-': kafka-storage's argument
 * parser would take it for an option ("--cluster-id: expected one argument"), one id in 64.
 */
export function newKafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaClusterId(config: PlatformConfig): string {
  const dataDir = paths(config).data('kafka');
  const file = path.join(dataDir, 'cluster-id');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, newKafkaClusterId() + '\n');
  }
  return fs.readFileSync(file, 'utf8').trim();
}

function kafkaSpec(config: PlatformConfig): ComponentCommand {
  const confDir = paths(config).conf('kafka');
  const dataDir = paths(config).data('kafka');
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(confDir, { recursive: true });
  const serverProperties = path.join(confDir, 'server.properties');
  const log4j = path.join(confDir, 'log4j2.properties');
  fs.writeFileSync(serverProperties, toPropertiesFile(kafkaServerProperties(config)));
  fs.writeFileSync(log4j, KAFKA_LOG4J2);
  const java = path.join(findJavaHome(KAFKA_MIN_JAVA), 'bin', 'java');
  const classPath = path.join(toolPaths(config.cacheDir).kafkaHome, 'lib', '*');
  const jvm = [`-Dlog4j2.configurationFile=${log4j}`, '-Djava.awt.headless=true', '-cp', classPath];
  // KRaft needs its log dir formatted once with the cluster id; a formatted dir (meta.properties) is
  // never formatted again, so restarts keep every topic and offset.
  if (!fs.existsSync(path.join(logDir, 'meta.properties'))) {
    const format = spawnSync(
      java,
      [
        '-Xmx256m',
        ...jvm,
        'kafka.tools.StorageTool',
        'format',
        '--cluster-id',
        kafkaClusterId(config),
        '--config',
        serverProperties,
        '--standalone',
      ],
      { cwd: dataDir, encoding: 'utf8', timeout: 120_000 },
    );
    const logFile = paths(config).log('kafka');
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    fs.appendFileSync(logFile, `--- dp: formatting ${logDir}\n${format.stdout ?? ''}${format.stderr ?? ''}`);
    if (format.status !== 0) {
      throw new Error(
        `Formatting Kafka's storage in ${logDir} failed (exit ${format.status ?? format.signal}): ` +
          `${(format.stderr || format.stdout || String(format.error ?? '')).trim().split('\n').slice(-5).join('\n')}`,
      );
    }
  }
  return {
    command: java,
    args: [
      '-Xms128m',
      `-Xmx${config.kafkaHeap}`,
      '-XX:+UseSerialGC',
      '-XX:MaxDirectMemorySize=256m',
      // Marks the process as this platform's (dp finds its own processes by their DP_HOME).
      `-Ddp.home=${config.home}`,
      ...jvm,
      'kafka.Kafka',
      serverProperties,
    ],
    cwd: dataDir,
  };
}

/**
 * Renders the component's configuration and returns how to start it. (The Flink job's configuration and
 * jar are prepared by prepareStreamJob first, which reports what it restores.)
 */
export function processSpec(
  config: PlatformConfig,
  component: LocalComponent,
  options: ComponentOptions = {},
): ProcessSpec {
  const builders: Record<LocalComponent, (config: PlatformConfig) => ComponentCommand> = {
    temporal: temporalSpec,
    worker: workerSpec,
    objectstore: objectStoreSpec,
    nessie: nessieSpec,
    trino: trinoSpec,
    kafka: kafkaSpec,
    tlcmirror: tlcMirrorSpec,
    'airflow-api-server': (c) => airflowProcessCommand(c, 'api-server', options),
    'airflow-dag-processor': (c) => airflowProcessCommand(c, 'dag-processor', options),
    'airflow-scheduler': (c) => airflowProcessCommand(c, 'scheduler', options),
    flink: (c) => streamJobCommand(c, options),
  };
  // The worker listens on nothing; every other component must be allowed on the configured host.
  if (component !== 'worker') assertBindAllowed(component, config);
  const p = paths(config);
  return {
    name: component,
    logFile: p.log(component),
    pidFile: p.pid(component),
    // Every command line but Airflow's names DP_HOME (a data dir, the db file, --home): that identifies our
    // processes.
    marker: config.home,
    ...builders[component](config),
  };
}
