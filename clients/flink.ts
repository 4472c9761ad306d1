// Flink's JobManager REST API (the web UI's port): the few reads the platform makes of a running job.

export interface FlinkJobSummary {
  jid: string;
  state: string;
}

export interface FlinkVertex {
  name: string;
  metrics: Record<string, number>;
}

export interface FlinkCheckpoints {
  latest?: {
    completed?: { id: number; latest_ack_timestamp: number; external_path?: string } | null;
    restored?: { external_path?: string } | null;
  };
}

export class FlinkRestError extends Error {}

/** Reads of the JobManager at `restUrl` (http://host:port); each read fails with the path and HTTP status. */
export class FlinkRestClient {
  constructor(
    private readonly restUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private async get<T>(path: string): Promise<T> {
    const response = await this.fetchImpl(`${this.restUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new FlinkRestError(`Flink REST ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  async jobs(): Promise<FlinkJobSummary[]> {
    return (await this.get<{ jobs: FlinkJobSummary[] }>('/jobs/overview')).jobs;
  }

  /** The job's vertices with their task-to-task record counters. */
  async vertices(jobId: string): Promise<FlinkVertex[]> {
    return (await this.get<{ vertices: FlinkVertex[] }>(`/jobs/${encodeURIComponent(jobId)}`)).vertices;
  }

  async checkpoints(jobId: string): Promise<FlinkCheckpoints> {
    return this.get<FlinkCheckpoints>(`/jobs/${encodeURIComponent(jobId)}/checkpoints`);
  }
}
