import {
  checkpointFigures,
  failedSinceQuery,
  gatherFigures,
  prometheusFigureQueries,
  recordFigures,
  trinoFiguresFromMetrics,
  withFigures,
} from '../../platform/figures';
import { formatFigures } from '../../cli/format';

describe("dp status's key figures", () => {
  it("reads Trino's running and queued queries and active nodes from its OpenMetrics text", () => {
    const text = [
      '# TYPE trino_execution_name_QueryManager_RunningQueries gauge',
      'trino_execution_name_QueryManager_RunningQueries 3.0',
      'trino_execution_name_QueryManager_RunningQueriesX 99.0',
      'trino_execution_name_QueryManager_QueuedQueries{x="y"} 1.0',
      'trino_metadata_name_DiscoveryNodeManager_ActiveNodeCount 1.0',
    ].join('\n');
    expect(trinoFiguresFromMetrics(text)).toEqual({
      'running queries': 3,
      'queued queries': 1,
      workers: 1,
    });
    // A metric Trino does not expose is left out, not shown as 0.
    expect(trinoFiguresFromMetrics('trino_execution_name_QueryManager_QueuedQueries 0.0\n')).toEqual({
      'queued queries': 0,
    });
  });

  it("asks Prometheus for the coordinator's series of the platform's namespace only", () => {
    const q = prometheusFigureQueries('data-platform');
    expect(q.trino['running queries']).toBe(
      'sum(trino_execution_name_QueryManager_RunningQueries{namespace="data-platform",trino_io_role="coordinator"})',
    );
    expect(q.trino.workers).toMatch(/^sum\(.*ActiveNodeCount.*\) - count\(.*ActiveNodeCount.*\)$/);
    expect(() => prometheusFigureQueries('x"} or vector(1) #')).toThrow(/not a namespace/);
  });

  it("sums the Flink job's readings from its Kafka source and its windows into the Iceberg writer", () => {
    const vertices = [
      { name: 'Source: kafka-sensor-topic', metrics: { 'read-records': 0, 'write-records': 1200 } },
      {
        name: 'window-1m -> (late-to-dlq, to-rowdata)',
        metrics: { 'read-records': 1200, 'write-records': 40 },
      },
      { name: 'iceberg-x-IcebergStreamWriter', metrics: { 'read-records': 40, 'write-records': 2 } },
      { name: 'iceberg-x-IcebergFilesCommitter', metrics: { 'read-records': 2, 'write-records': 0 } },
    ];
    expect(recordFigures(vertices)).toEqual({ 'records in': 1200, 'records out': 40 });
    expect(checkpointFigures({ id: 7, ackedAt: 10_000 }, 25_400)).toEqual({
      'last checkpoint': 7,
      'checkpoint age s': 15,
    });
    expect(checkpointFigures(undefined, 0)).toEqual({});
  });

  it('counts failed workflows closed since a moment', () => {
    expect(failedSinceQuery(new Date('2026-12-04T10:00:00Z'))).toBe(
      'ExecutionStatus="Failed" AND CloseTime > "2026-12-04T10:00:00.000Z"',
    );
  });

  it('keeps the figures of the sources that answer, merges the many-component one, and attaches them', async () => {
    const figures = await gatherFigures({
      '*': async () => ({ trino: { workers: 2 }, keda: { 'trino-worker metric': 3 } }),
      kafka: async () => ({ 'flink group lag': 5 }),
      temporal: async () => {
        throw new Error('unreachable');
      },
    });
    expect(figures).toEqual({
      trino: { workers: 2 },
      keda: { 'trino-worker metric': 3 },
      kafka: { 'flink group lag': 5 },
    });
    const rows = withFigures(
      [
        { component: 'trino', healthy: true, detail: '' },
        { component: 'temporal', healthy: true, detail: '' },
      ],
      figures,
    );
    expect(rows.map((r) => formatFigures(r.figures))).toEqual(['workers 2', '-']);
  });
});
