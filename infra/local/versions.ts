// Pinned versions of every component the embedded platform installs. Change a version here and the
// installer builds or fetches the new one into its own folder beside the old.

export const TEMPORAL_CLI = {
  module: 'github.com/temporalio/cli/cmd/temporal',
  // v1.6+ carries a replace directive that `go install` refuses; v1.5.1 embeds server 1.29.1.
  version: 'v1.5.1',
};

export const SEAWEEDFS = {
  module: 'github.com/seaweedfs/seaweedfs',
  package: 'github.com/seaweedfs/seaweedfs/weed',
  // Built through infra/local/seaweedfs/go.mod, which repeats the upstream replace directive.
  version: 'v0.0.0-20261109003541-7506e5f91cd6',
};

export interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  packaging: string;
  classifier?: string;
}

export const NESSIE_RUNNER: MavenArtifact = {
  groupId: 'org.projectnessie.nessie',
  artifactId: 'nessie-quarkus',
  version: '0.99.0',
  packaging: 'jar',
  classifier: 'runner',
};

export const TRINO_VERSION = '476';

export const TRINO_SERVER: MavenArtifact = {
  groupId: 'io.trino',
  artifactId: 'trino-server-core',
  version: TRINO_VERSION,
  packaging: 'tar.gz',
};

/** Plugins unpacked into the server's plugin/ folder, each in its own sub-folder. */
export const TRINO_PLUGINS: MavenArtifact[] = [
  { groupId: 'io.trino', artifactId: 'trino-iceberg', version: TRINO_VERSION, packaging: 'zip' },
];

/** Trino 476 runs on Java 24+; the installer looks for a JDK with at least this feature version. */
export const TRINO_MIN_JAVA = 24;
export const NESSIE_MIN_JAVA = 17;

/** The dbt virtualenv: dbt-core with the Trino adapter. */
export const PYTHON_DBT = {
  requirementsFile: 'infra/local/python/dbt-requirements.txt',
};

export function mavenCoordinate(a: MavenArtifact): string {
  return [a.groupId, a.artifactId, a.version, a.packaging, a.classifier].filter(Boolean).join(':');
}

export function mavenFileName(a: MavenArtifact): string {
  return `${a.artifactId}-${a.version}${a.classifier ? '-' + a.classifier : ''}.${a.packaging}`;
}

/** Apache Kafka (KRaft, broker and controller in one process), run from its jars and their runtime deps. */
export const KAFKA: MavenArtifact = {
  groupId: 'org.apache.kafka',
  artifactId: 'kafka_2.13',
  version: '4.4.0',
  packaging: 'jar',
};

/** Kafka logs through SLF4J 1.7; the broker needs a binding: Log4j 2's, configured by a properties file. */
export const KAFKA_LOGGING: MavenArtifact[] = [
  {
    groupId: 'org.apache.logging.log4j',
    artifactId: 'log4j-slf4j-impl',
    version: '2.25.3',
    packaging: 'jar',
  },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: '2.25.3', packaging: 'jar' },
];

/** Kafka 4 brokers need Java 17+. */
export const KAFKA_MIN_JAVA = 17;

/**
 * Flink's S3 file system (hadoop's s3a, shaded), the plugin the local cluster's JobManager and TaskManagers
 * load for checkpoints on the object store. 1.20.1 is the newest 1.20 release on Maven Central; plugins load
 * in their own class loader through Flink's stable FileSystem API, so it serves the job's Flink 1.20.3.
 */
/** Flink's Prometheus metrics reporter, a plugin of the local cluster's Flink image (images/local/flink). */
export const FLINK_PROMETHEUS_REPORTER: MavenArtifact = {
  groupId: 'org.apache.flink',
  artifactId: 'flink-metrics-prometheus',
  version: '1.20.3',
  packaging: 'jar',
};

export const FLINK_S3_PLUGIN: MavenArtifact = {
  groupId: 'org.apache.flink',
  artifactId: 'flink-s3-fs-hadoop',
  version: '1.20.1',
  packaging: 'jar',
};
