// The platform bring-up's contract: the components the workflow names, and what its activities report.
// Types and names only, shared by the workflow, the drivers, the CLI and tests.

/** Components the bring-up workflow manages (Temporal and the worker host the workflow itself). */
export const MANAGED_COMPONENTS = ['objectstore', 'nessie', 'trino', 'kafka'] as const;
export type ManagedComponent = (typeof MANAGED_COMPONENTS)[number];

/** `not deployed`: the target deploys no such component (the local cluster's overlay runs no Kafka). */
export type EnsureAction = 'adopted' | 'started' | 'not deployed';

export interface EnsureResult {
  component: ManagedComponent;
  action: EnsureAction;
  detail: string;
}

export interface BucketInit {
  bucket: string;
  created: boolean;
}

export interface NessieInit {
  branch: string;
  hash: string;
  created: boolean;
}

export interface TrinoInit {
  catalog: string;
  catalogCreated: boolean;
  schemasCreated: string[];
  schemasExisting: string[];
}

export interface TopicState {
  name: string;
  created: boolean;
  partitions: number;
  retentionMs: number | undefined;
}

export interface KafkaInit {
  /** Each platform topic: created now or already there, with its partitions and retention. */
  topics: TopicState[];
}

export interface BringUpReport {
  components: EnsureResult[];
  bucket: BucketInit;
  nessie: NessieInit;
  trino: TrinoInit;
  /** Absent in runs that started before Kafka joined the platform. */
  kafka?: KafkaInit;
}

export type BringUpStage = 'starting components' | 'initialising' | 'done';
