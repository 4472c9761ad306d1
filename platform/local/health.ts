// Health probes of the local components: each asks the component itself (not just its port) whether it
// serves, and says what it checked.
import * as fs from 'node:fs';
import { Connection } from '@temporalio/client';
import { endpoints, paths, type PlatformConfig } from '../../lib/config';
import { describeCluster, describeKafkaError } from '../../clients/kafka/client';
import { s3Client } from '../../clients/s3';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import type { ComponentHealth } from '../driver';
import { ensureS3Credentials } from './credentials';
import { runningPid } from '../../lib/process';
import type { LocalComponent } from './services';
import { airflowApiHealthy } from './airflow';

/** A probe answers within this or counts as unhealthy: a hung call must never hang `dp up` or `dp status`. */
const PROBE_DEADLINE_MS = 5000;

async function httpOk(url: string): Promise<{ ok: boolean; status?: number; body?: string; error?: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { ok: response.ok, status: response.status, body: await response.text() };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

type Probe = { healthy: boolean; detail: string };

/**
 * Asks the Temporal frontend one question over a short-lived connection, within the probe deadline;
 * `unreachable` prefixes the first line of the error when it cannot be asked.
 */
async function probeThroughTemporal<T>(
  config: PlatformConfig,
  ask: (service: Connection['workflowService']) => Promise<T>,
  healthOf: (answer: T) => Probe,
  unreachable: string,
): Promise<Probe> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: endpoints(config).temporal, connectTimeout: 3000 });
    const c = connection;
    const answer = await c.withDeadline(Date.now() + PROBE_DEADLINE_MS, () => ask(c.workflowService));
    return healthOf(answer);
  } catch (err) {
    return { healthy: false, detail: `${unreachable}: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    await connection?.close();
  }
}

async function probeTemporal(config: PlatformConfig): Promise<Probe> {
  return probeThroughTemporal(
    config,
    (service) => service.getSystemInfo({}),
    (info) => ({ healthy: true, detail: `frontend serving (server ${info.serverVersion})` }),
    'frontend not reachable',
  );
}

async function probeWorker(config: PlatformConfig): Promise<Probe> {
  if (runningPid(paths(config).pid('worker')) === undefined) return { healthy: false, detail: 'not running' };
  return probeThroughTemporal(
    config,
    (service) =>
      service.describeTaskQueue({
        namespace: config.temporalNamespace,
        taskQueue: { name: config.taskQueue },
        taskQueueType: 1, // workflow task queue
      }),
    (result) =>
      (result.pollers?.length ?? 0) > 0
        ? { healthy: true, detail: `polling task queue '${config.taskQueue}'` }
        : { healthy: false, detail: `running, but not polling task queue '${config.taskQueue}' yet` },
    'cannot ask Temporal',
  );
}

async function probeObjectStore(config: PlatformConfig): Promise<{ healthy: boolean; detail: string }> {
  const client = s3Client({ endpoint: endpoints(config).s3, ...ensureS3Credentials(paths(config).secrets) });
  try {
    const result = await client.send(new ListBucketsCommand({}));
    return { healthy: true, detail: `S3 API serving (${result.Buckets?.length ?? 0} buckets)` };
  } catch (err) {
    return { healthy: false, detail: `S3 API not serving: ${(err as Error).message}` };
  } finally {
    client.destroy();
  }
}

async function probeNessie(config: PlatformConfig): Promise<{ healthy: boolean; detail: string }> {
  const result = await httpOk(`${endpoints(config).nessieApi}/config`);
  if (!result.ok)
    return { healthy: false, detail: `API not serving: ${result.error ?? 'HTTP ' + result.status}` };
  return { healthy: true, detail: 'API v2 serving' };
}

async function probeTrino(config: PlatformConfig): Promise<{ healthy: boolean; detail: string }> {
  const result = await httpOk(`${endpoints(config).trino}/v1/info`);
  if (!result.ok)
    return { healthy: false, detail: `not serving: ${result.error ?? 'HTTP ' + result.status}` };
  const info = JSON.parse(result.body ?? '{}') as { starting?: boolean; nodeVersion?: { version: string } };
  if (info.starting !== false) return { healthy: false, detail: 'starting' };
  return { healthy: true, detail: `coordinator ready (version ${info.nodeVersion?.version ?? '?'})` };
}

async function probeTlcMirror(config: PlatformConfig): Promise<{ healthy: boolean; detail: string }> {
  const result = await httpOk(`${endpoints(config).tlcMirror}/misc/taxi_zone_lookup.csv`);
  return result.ok
    ? { healthy: true, detail: 'serving the trip files on the TLC paths' }
    : { healthy: false, detail: `not serving: ${result.error ?? 'HTTP ' + result.status}` };
}

async function probeKafka(config: PlatformConfig): Promise<{ healthy: boolean; detail: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // A metadata request and a topic listing: the broker answers the Kafka protocol, not just the port.
    const cluster = await Promise.race([
      describeCluster({ bootstrap: endpoints(config).kafka, timeoutMs: 3000, retries: false }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 5 s')), PROBE_DEADLINE_MS);
      }),
    ]);
    return {
      healthy: cluster.brokers > 0,
      detail: `broker serving (cluster ${cluster.clusterId}, ${cluster.topics.length} topics)`,
    };
  } catch (err) {
    return { healthy: false, detail: `broker not serving: ${describeKafkaError(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

async function probeAirflowApi(config: PlatformConfig): Promise<{ healthy: boolean; detail: string }> {
  return (await airflowApiHealthy(config))
    ? { healthy: true, detail: 'API server healthy' }
    : { healthy: false, detail: 'API server not answering its health check' };
}

/** For the processes with nothing to ask (Airflow's scheduler and DAG processor, the Flink job): do they run? */
function probeRunning(component: LocalComponent) {
  return async (config: PlatformConfig): Promise<{ healthy: boolean; detail: string }> =>
    runningPid(paths(config).pid(component)) === undefined
      ? { healthy: false, detail: 'not running' }
      : { healthy: true, detail: 'running' };
}

const PROBES: Record<
  LocalComponent,
  (config: PlatformConfig) => Promise<{ healthy: boolean; detail: string }>
> = {
  temporal: probeTemporal,
  worker: probeWorker,
  objectstore: probeObjectStore,
  nessie: probeNessie,
  trino: probeTrino,
  kafka: probeKafka,
  tlcmirror: probeTlcMirror,
  'airflow-api-server': probeAirflowApi,
  'airflow-dag-processor': probeRunning('airflow-dag-processor'),
  'airflow-scheduler': probeRunning('airflow-scheduler'),
  flink: probeRunning('flink'),
};

const ENDPOINT_OF: Record<LocalComponent, (config: PlatformConfig) => string | undefined> = {
  temporal: (c) => endpoints(c).temporal,
  worker: () => undefined,
  objectstore: (c) => endpoints(c).s3,
  nessie: (c) => endpoints(c).nessieApi,
  trino: (c) => endpoints(c).trino,
  kafka: (c) => endpoints(c).kafka,
  tlcmirror: (c) => endpoints(c).tlcMirror,
  'airflow-api-server': (c) => `http://${c.host}:${c.ports.airflow}`,
  'airflow-dag-processor': () => undefined,
  'airflow-scheduler': () => undefined,
  flink: () => undefined,
};

/** Resident memory of a process in MiB, from /proc (undefined elsewhere). */
export function residentMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export async function probeLocal(
  config: PlatformConfig,
  component: LocalComponent,
): Promise<ComponentHealth> {
  const pid = runningPid(paths(config).pid(component));
  const { healthy, detail } = await PROBES[component](config);
  const rssMiB = pid === undefined ? undefined : residentMiB(pid);
  return { component, healthy, detail, pid, rssMiB, endpoint: ENDPOINT_OF[component](config) };
}
