// One place for every port, path and tunable of the embedded platform.
//
// Precedence: built-in defaults < $DP_HOME/config.json < environment (DP_PORT_<NAME>, DP_HOME, ...).
// Tests point DP_HOME at a temporary folder holding a config.json with test ports.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');

/** Every TCP port the embedded platform listens on, by name. */
export interface Ports {
  temporal: number;
  temporalUi: number;
  s3: number;
  seaweedMaster: number;
  seaweedVolume: number;
  seaweedFiler: number;
  nessie: number;
  nessieManagement: number;
  trino: number;
  /** Reserved for the Airflow API server so it never collides with Trino's 8080. */
  airflow: number;
  /** JupyterLab (`dp notebook`); kept off 8888, SeaweedFS's filer. */
  jupyter: number;
  /** The offline TLC mirror (synthetic months on the real paths). */
  tlcMirror: number;
  /** Kafka's client listener (the bootstrap address producers and consumers use). */
  kafka: number;
  /** Kafka's KRaft controller listener (single node: broker and controller in one process). */
  kafkaController: number;
  /** The local cluster's API server (`dp cluster up`), forwarded to the host's 127.0.0.1. */
  clusterApi: number;
  /** The local cluster's services on 127.0.0.1 (dp cluster's forwarders), beside the local platform's. */
  clusterTrino: number;
  clusterS3: number;
  clusterNessie: number;
  clusterTemporal: number;
  clusterTemporalUi: number;
  clusterJupyter: number;
  /** The local cluster's Kafka (its EXTERNAL listener advertises this address). */
  clusterKafka: number;
  /** The local cluster's Flink JobManager: web UI and REST API. */
  clusterFlink: number;
  /** The local cluster's Prometheus: its query API and UI. */
  clusterPrometheus: number;
}

// SeaweedFS also listens on each of its ports + 10000 for gRPC; the defaults leave room for that.
export const DEFAULT_PORTS: Ports = {
  temporal: 7233,
  temporalUi: 8233,
  s3: 8333,
  seaweedMaster: 9333,
  seaweedVolume: 9340,
  seaweedFiler: 8888,
  nessie: 19120,
  nessieManagement: 19121,
  trino: 8080,
  airflow: 8280,
  jupyter: 8890,
  tlcMirror: 8190,
  kafka: 9092,
  kafkaController: 9093,
  clusterApi: 16443,
  clusterTrino: 16080,
  clusterS3: 16333,
  clusterNessie: 16120,
  clusterTemporal: 16233,
  clusterTemporalUi: 16234,
  clusterJupyter: 16888,
  clusterKafka: 16092,
  clusterFlink: 16081,
  clusterPrometheus: 16090,
};

/** Extra ports a component binds that are derived from a configured one (SeaweedFS gRPC = port + 10000). */
export function derivedPorts(ports: Ports): Record<string, number> {
  return {
    seaweedMasterGrpc: ports.seaweedMaster + 10000,
    seaweedVolumeGrpc: ports.seaweedVolume + 10000,
    seaweedFilerGrpc: ports.seaweedFiler + 10000,
    s3Grpc: ports.s3 + 10000,
  };
}

export interface PlatformConfig {
  /** Platform state: configs, data, logs, pid files. Default <repo>/.dp (git-ignored). */
  home: string;
  /** Downloads and builds shared by every checkout. Default ~/.cache/dp. */
  cacheDir: string;
  ports: Ports;
  /** Address every component binds to; loopback by default (see platform/local/bind-policy.ts). */
  host: string;
  /** The user's opt-in to a non-loopback host (config `exposeOnNetwork: true` or DP_EXPOSE=1). */
  exposeOnNetwork: boolean;
  temporalNamespace: string;
  taskQueue: string;
  warehouseBucket: string;
  /** Trino catalog name for the lakehouse on Nessie's main branch. */
  catalog: string;
  schemas: string[];
  trinoHeap: string;
  nessieHeap: string;
  kafkaHeap: string;
  /** Where the monthly trip files come from: the public TLC host, or a mirror. */
  tlcBaseUrl: string;
  /** The scheduled run processes the month this many months before the run date. */
  tlcLagMonths: number;
  /**
   * Extra source origins (host or host:port) the worker may fetch month files from, besides the TLC host,
   * tlcBaseUrl and the offline mirror (config `sourceAllowedHosts` plus DP_SOURCE_ALLOWED_HOSTS, comma-separated).
   */
  sourceAllowedHosts: string[];
}

/** The public host of the TLC trip record files. */
export const TLC_PUBLIC_BASE_URL = 'https://d37ci6vzurychx.cloudfront.net';

interface FileConfig {
  ports?: Partial<Ports>;
  host?: string;
  exposeOnNetwork?: boolean;
  sourceAllowedHosts?: string[];
  trinoHeap?: string;
  nessieHeap?: string;
  kafkaHeap?: string;
}

/** The environment variable that sets a port, e.g. DP_PORT_TEMPORAL_UI for temporalUi. */
export function portEnvVar(port: string): string {
  return 'DP_PORT_' + port.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

/** The configured port a (possibly derived) port name comes from: seaweedFilerGrpc -> seaweedFiler. */
export function configuredPortName(port: string): string {
  if (port in DEFAULT_PORTS) return port;
  return port === 's3Grpc' ? 's3' : port.replace(/Grpc$/, '');
}

function parsePort(name: string, raw: unknown, source: string): number {
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`Invalid port for ${name} in ${source}: ${String(raw)}. Use an integer in 1..65535.`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const home = path.resolve(env.DP_HOME ?? path.join(REPO_ROOT, '.dp'));
  const cacheDir = path.resolve(env.DP_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'dp'));
  const file = path.join(home, 'config.json');
  let fileConfig: FileConfig = {};
  if (fs.existsSync(file)) {
    try {
      fileConfig = JSON.parse(fs.readFileSync(file, 'utf8')) as FileConfig;
    } catch (err) {
      throw new Error(`Cannot parse ${file}: ${(err as Error).message}. Fix or delete the file.`, {
        cause: err,
      });
    }
  }
  const ports = { ...DEFAULT_PORTS };
  for (const name of Object.keys(DEFAULT_PORTS) as (keyof Ports)[]) {
    const fromFile = fileConfig.ports?.[name];
    if (fromFile !== undefined) ports[name] = parsePort(name, fromFile, file);
    const fromEnv = env[portEnvVar(name)];
    if (fromEnv !== undefined && fromEnv !== '') ports[name] = parsePort(name, fromEnv, portEnvVar(name));
  }
  const all = { ...ports, ...derivedPorts(ports) };
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(all)) {
    const other = seen.get(port);
    if (other)
      throw new Error(`Port ${port} is configured for both ${other} and ${name}; give each its own.`);
    seen.set(port, name);
  }
  return {
    home,
    cacheDir,
    ports,
    host: fileConfig.host ?? env.DP_HOST ?? '127.0.0.1',
    exposeOnNetwork: fileConfig.exposeOnNetwork === true || env.DP_EXPOSE === '1',
    temporalNamespace: env.DP_TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.DP_TASK_QUEUE ?? 'lakehouse',
    warehouseBucket: 'warehouse',
    catalog: 'lakehouse',
    schemas: ['bronze', 'silver', 'gold', 'iot'],
    trinoHeap: fileConfig.trinoHeap ?? env.DP_TRINO_HEAP ?? '4G',
    nessieHeap: fileConfig.nessieHeap ?? env.DP_NESSIE_HEAP ?? '512m',
    kafkaHeap: fileConfig.kafkaHeap ?? env.DP_KAFKA_HEAP ?? '512m',
    tlcBaseUrl: env.DP_TLC_BASE_URL || TLC_PUBLIC_BASE_URL,
    tlcLagMonths: parseLag(env.DP_TLC_LAG_MONTHS),
    sourceAllowedHosts: [
      ...parseHostList(fileConfig.sourceAllowedHosts, `sourceAllowedHosts in ${file}`),
      ...parseHostList(env.DP_SOURCE_ALLOWED_HOSTS?.split(','), 'DP_SOURCE_ALLOWED_HOSTS'),
    ],
  };
}

/**
 * The TLC base URL this command was given (DP_TLC_BASE_URL), if any: the CLI passes it to the workflows it
 * starts, so it counts even when the worker was started without it.
 */
export function explicitTlcBaseUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DP_TLC_BASE_URL || undefined;
}

/** A list of host names or host:port entries; the source policy checks their form when it uses them. */
function parseHostList(raw: unknown, source: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((h) => typeof h !== 'string')) {
    throw new Error(`Invalid ${source}: use a list of host or host:port strings.`);
  }
  return (raw as string[]).map((h) => h.trim()).filter((h) => h !== '');
}

function parseLag(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 2;
  const lag = Number(raw);
  if (!Number.isInteger(lag) || lag < 0 || lag > 24) {
    throw new Error(`Invalid DP_TLC_LAG_MONTHS '${raw}': use a whole number of months from 0 to 24.`);
  }
  return lag;
}

/** Well-known locations under DP_HOME. */
export function paths(config: PlatformConfig) {
  const h = config.home;
  return {
    home: h,
    data: (component: string) => path.join(h, 'data', component),
    conf: (component: string) => path.join(h, 'conf', component),
    log: (component: string) => path.join(h, 'logs', `${component}.log`),
    pid: (component: string) => path.join(h, 'run', `${component}.pid`),
    secrets: path.join(h, 'secrets'),
    logs: path.join(h, 'logs'),
  };
}

/** Where clients reach the data services, on any target: object store, Nessie's API, Trino, Kafka. */
export interface ServiceEndpoints {
  s3: string;
  nessieApi: string;
  trino: string;
  /** Kafka bootstrap address, host:port (no scheme). */
  kafka: string;
}

export function endpoints(config: PlatformConfig) {
  const { host, ports } = config;
  return {
    temporal: `${host}:${ports.temporal}`,
    temporalUi: `http://${host}:${ports.temporalUi}`,
    s3: `http://${host}:${ports.s3}`,
    nessieApi: `http://${host}:${ports.nessie}/api/v2`,
    nessieIcebergRest: `http://${host}:${ports.nessie}/iceberg/`,
    nessieUi: `http://${host}:${ports.nessie}`,
    trino: `http://${host}:${ports.trino}`,
    tlcMirror: `http://${host}:${ports.tlcMirror}`,
    /** Kafka bootstrap address (host:port, no scheme). */
    kafka: `${host}:${ports.kafka}`,
  };
}
