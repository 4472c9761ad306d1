// Prometheus's HTTP query API (GET /api/v1/query): instant queries whose answer is one number.

export class PrometheusQueryError extends Error {}

/**
 * The value of an instant PromQL query that yields at most one series: NaN when it yields none (nothing
 * scraped yet), an error naming the query when Prometheus refuses it or it yields several.
 */
export async function prometheusValue(baseUrl: string, promql: string): Promise<number> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}`, {
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new PrometheusQueryError(`Prometheus at ${baseUrl} is not reachable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const body = (await response.json().catch(() => ({}))) as {
    status?: string;
    error?: string;
    data?: { result: { value: [number, string] }[] };
  };
  if (body.status !== 'success')
    throw new PrometheusQueryError(
      `Prometheus refused ${promql}: ${body.error ?? `HTTP ${response.status}`}`,
    );
  const result = body.data?.result ?? [];
  if (result.length > 1)
    throw new PrometheusQueryError(`Prometheus: ${promql} yields ${result.length} series, not one`);
  return result.length === 0 ? NaN : Number(result[0].value[1]);
}
