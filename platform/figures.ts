// The key figures `dp status` shows beside each component's health, read where each component exposes them:
// on the local cluster Trino's and KEDA's from Prometheus (the same PromQL the ScaledObject uses), the Flink
// job's from its JobManager's REST API, the Kafka lag of the Flink job's consumer group from Kafka, failed
// workflows from Temporal's visibility store; on the local platform Trino's from its own /metrics, the
// rest the same way. A figure that cannot be read is left out (the health columns say why).
import { Client, Connection } from '@temporalio/client';
import type { ComponentHealth } from './driver';
import { FlinkRestClient, type FlinkVertex } from '../clients/flink';
import { prometheusValue } from '../clients/prometheus';
import type { KafkaConnection } from '../clients/kafka/client';
import { standaloneJobStatus } from './k8s/stream';
import { consumerGroupLag, SENSOR_JOB_GROUP, SENSOR_TOPIC } from '../clients/kafka/topics';

/** Figure name -> value, in the order shown. */
export type Figures = Record<string, number>;

const RUNNING = 'trino_execution_name_QueryManager_RunningQueries';
const QUEUED = 'trino_execution_name_QueryManager_QueuedQueries';
const ACTIVE_NODES = 'trino_metadata_name_DiscoveryNodeManager_ActiveNodeCount';

/** PromQL of the figures Prometheus has, by component, for the platform's namespace. */
export function prometheusFigureQueries(namespace: string): Record<string, Record<string, string>> {
  if (!/^[a-z0-9-]+$/.test(namespace)) throw new Error(`'${namespace}' is not a namespace name`);
  const coordinator = `{namespace="${namespace}",trino_io_role="coordinator"}`;
  return {
    trino: {
      'running queries': `sum(${RUNNING}${coordinator})`,
      'queued queries': `sum(${QUEUED}${coordinator})`,
      // The coordinator counts itself among the active nodes; it schedules no tasks in the cluster.
      workers: `sum(${ACTIVE_NODES}${coordinator}) - count(${ACTIVE_NODES}${coordinator})`,
    },
    prometheus: { 'targets up': 'count(up == 1)', targets: 'count(up)' },
    keda: {
      'trino-worker metric': `sum(keda_scaler_metrics_value{exported_namespace="${namespace}",scaledObject="trino-worker"})`,
    },
  };
}

/** Every figure Prometheus answers, by component; one that yields nothing is left out. */
export async function prometheusFigures(
  prometheusUrl: string,
  namespace: string,
): Promise<Record<string, Figures>> {
  const out: Record<string, Figures> = {};
  for (const [component, queries] of Object.entries(prometheusFigureQueries(namespace))) {
    const values = await Promise.all(
      Object.entries(queries).map(async ([name, promql]) => [
        name,
        await prometheusValue(prometheusUrl, promql).catch(() => NaN),
      ]),
    );
    const figures = Object.fromEntries(values.filter(([, v]) => !Number.isNaN(v)));
    if (Object.keys(figures).length > 0) out[component] = figures;
  }
  return out;
}

/**
 * Trino's figures from its own OpenMetrics text (the local platform's single Trino process is coordinator
 * and worker: its active nodes are its workers).
 */
export function trinoFiguresFromMetrics(text: string): Figures {
  const value = (metric: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${metric} `) || l.startsWith(`${metric}{`));
    return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const figures: Figures = {
    'running queries': value(RUNNING),
    'queued queries': value(QUEUED),
    workers: value(ACTIVE_NODES),
  };
  return Object.fromEntries(Object.entries(figures).filter(([, v]) => !Number.isNaN(v)));
}

export async function trinoFigures(trinoUrl: string): Promise<Figures> {
  const response = await fetch(`${trinoUrl}/metrics`, {
    headers: { 'X-Trino-User': 'dp-status' },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`Trino /metrics: HTTP ${response.status}`);
  return trinoFiguresFromMetrics(await response.text());
}

/** The stream job's consumer lag on the sensor topic, as Kafka holds the group's offsets. */
export async function kafkaFigures(connection: KafkaConnection): Promise<Figures> {
  return { 'flink group lag': await consumerGroupLag(connection, SENSOR_TOPIC.name, SENSOR_JOB_GROUP) };
}

/** The Temporal visibility query of the workflows that failed since `since`. */
export function failedSinceQuery(since: Date): string {
  return `ExecutionStatus="Failed" AND CloseTime > "${since.toISOString()}"`;
}

/** Workflows failed in the last hour, counted by the Temporal frontend at `address` (host:port). */
export async function temporalFigures(address: string, namespace: string): Promise<Figures> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    const client = new Client({ connection, namespace });
    const { count } = await client.workflow.count(failedSinceQuery(new Date(Date.now() - 3_600_000)));
    return { 'failed workflows 1h': count };
  } finally {
    await connection.close();
  }
}

/** Figures by component from every source at once; a source that fails adds nothing. */
export async function gatherFigures(
  sources: Record<string, () => Promise<Figures | Record<string, Figures>>>,
): Promise<Record<string, Figures>> {
  const entries = Object.entries(sources);
  const results = await Promise.allSettled(entries.map(([, read]) => read()));
  const out: Record<string, Figures> = {};
  results.forEach((r, i) => {
    if (r.status !== 'fulfilled') return;
    const [component] = entries[i];
    // A source named '*' answers for several components (Prometheus).
    const byComponent =
      component === '*' ? (r.value as Record<string, Figures>) : { [component]: r.value as Figures };
    for (const [c, figures] of Object.entries(byComponent)) out[c] = { ...out[c], ...figures };
  });
  return out;
}

/** The health rows with each component's figures added. */
export function withFigures(health: ComponentHealth[], figures: Record<string, Figures>): ComponentHealth[] {
  return health.map((h) => (figures[h.component] ? { ...h, figures: figures[h.component] } : h));
}

/** The Flink job's figures from its JobManager's REST API: last checkpoint, records read and written. */
export async function flinkJobFigures(restUrl: string, now: number = Date.now()): Promise<Figures> {
  const status = await standaloneJobStatus(restUrl);
  if (status.state !== 'RUNNING' || !status.jobId) return {};
  const vertices = await new FlinkRestClient(restUrl).vertices(status.jobId);
  return { ...checkpointFigures(status.latestCheckpoint, now), ...recordFigures(vertices) };
}

export function checkpointFigures(
  completed: { id: number; ackedAt: number } | undefined,
  now: number,
): Figures {
  if (!completed) return {};
  return {
    'last checkpoint': completed.id,
    'checkpoint age s': Math.max(0, Math.round((now - completed.ackedAt) / 1000)),
  };
}

/**
 * Records in: what the Kafka source vertices passed on (readings); records out: what the Iceberg writer
 * received (1-minute windows). Flink counts records between tasks only, which is where these two sit.
 */
export function recordFigures(vertices: FlinkVertex[]): Figures {
  const sum = (pick: (v: (typeof vertices)[number]) => number | undefined) =>
    vertices.reduce((n, v) => n + (pick(v) ?? 0), 0);
  return {
    'records in': sum((v) => (v.name.startsWith('Source:') ? v.metrics['write-records'] : 0)),
    'records out': sum((v) => (v.name.includes('IcebergStreamWriter') ? v.metrics['read-records'] : 0)),
  };
}
