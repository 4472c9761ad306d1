// The seam between the bring-up workflow and where the platform runs. The workflow only names components;
// a driver knows how to start, adopt and probe them (local processes today, Kubernetes objects later) and
// where their endpoints are once they run.
import type { EnsureAction, EnsureResult, ManagedComponent } from '../domain/platform';
import type { ServiceEndpoints } from '../lib/config';
import type { S3Credentials } from './local/credentials';

export interface ComponentHealth {
  component: string;
  healthy: boolean;
  /** What was checked and what it answered, for people reading `dp status`. */
  detail: string;
  pid?: number;
  /** Resident memory, where the driver can tell. */
  rssMiB?: number;
  endpoint?: string;
  /** On Kubernetes: the pods of the component's workloads and their containers' restarts. */
  pods?: number;
  restarts?: number;
  /** Its key figures (platform/figures.ts), where it exposes them. */
  figures?: Record<string, number>;
}

export interface StreamJobState {
  /** Started with `dp stream start` and not stopped since. */
  wanted: boolean;
  running: boolean;
  detail: string;
}

/** Where the initialisation steps reach the running components. */
export interface PlatformEndpoints extends ServiceEndpoints {
  credentials: S3Credentials;
  warehouseBucket: string;
  catalog: string;
  schemas: string[];
}

export interface PlatformDriver {
  readonly target: 'local' | 'kubernetes';
  probe(component: ManagedComponent): Promise<ComponentHealth>;
  /**
   * Leaves a healthy component as it is ('adopted'); otherwise (re)starts it and waits until it is healthy,
   * calling `progress` while it waits so the activity can heartbeat.
   */
  ensureRunning(component: ManagedComponent, progress: (message: string) => void): Promise<EnsureResult>;
  /**
   * For an unhealthy component: whether it is down outright (its process gone, nothing listening on its port),
   * as opposed to running but failing its health check. Drivers that cannot tell leave it out.
   */
  isDown?(component: ManagedComponent): Promise<boolean>;
  endpoints(): PlatformEndpoints;
  /**
   * The stream job, on a target where dp runs it as a process (local): whether the user wants it running
   * (started, not stopped since) and whether it runs. Targets whose own controllers restart it leave it out.
   */
  streamJobState?(): Promise<StreamJobState>;
  /**
   * Starts the wanted stream job again with the settings of the user's last start (restoring its latest
   * checkpoint); a running or no longer wanted job is left as it is ('adopted').
   */
  ensureStreamJob?(progress: (message: string) => void): Promise<{ action: EnsureAction; detail: string }>;
  /**
   * For a platform whose topics are declared objects (Strimzi KafkaTopics on Kubernetes, made ready by
   * ensureRunning('kafka')): their state, read from the platform instead of created through a Kafka client.
   * Undefined when the platform declares none (a Kafka without Strimzi): the bring-up creates them.
   */
  declaredTopics?(): Promise<
    { name: string; created: boolean; partitions: number; retentionMs: number | undefined }[] | undefined
  >;
}

// Defined in lib so that clients (the Kubernetes transport's kubeconfig errors) can throw it too.
export { NeedsOperatorError } from '../lib/errors';
