package dev.dp.flink;

import java.nio.file.Path;
import java.util.Optional;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka sensor-topic -> parse (malformed -> DLQ) -> 1-minute event-time windows per sensor (late -> DLQ)
 * -> Iceberg table iot.sensor_temperature_1m, committed on checkpoints.
 *
 * <p>Run alone: {@code java -jar sensor-job.jar --config job.properties} (a local MiniCluster; checkpoints on local
 * disk, restored from the latest one on restart). The same jar is a FlinkDeployment jarURI (then the cluster's
 * configuration and the operator decide checkpoint storage and restore).
 */
public final class SensorJob {
  private static final Logger LOG = LoggerFactory.getLogger(SensorJob.class);

  private SensorJob() {}

  public static void main(String[] args) {
    boolean local = StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment;
    try {
      run(args, local);
    } catch (Throwable t) {
      LOG.error("sensor job failed", t);
      // In a local MiniCluster, non-daemon threads would keep a failed job's JVM alive: exit instead.
      if (local) System.exit(1);
      if (t instanceof RuntimeException re) throw re;
      throw new RuntimeException(t);
    }
    if (local) System.exit(0);
  }

  static void run(String[] args, boolean local) throws Exception {
    // Third-party S3 stores may reject the SDK's default request checksums; send them only when required.
    System.setProperty("aws.requestChecksumCalculation",
        System.getProperty("aws.requestChecksumCalculation", "WHEN_REQUIRED"));
    System.setProperty("aws.responseChecksumValidation",
        System.getProperty("aws.responseChecksumValidation", "WHEN_REQUIRED"));
    JobConfig cfg = JobConfig.load(args, System.getenv());
    LOG.info("sensor job settings:\n{}", cfg.describe());
    if (cfg.accessKey() == null || cfg.secretKey() == null) {
      throw new IllegalStateException("S3 keys missing: set DP_S3_ACCESS_KEY and DP_S3_SECRET_KEY in the environment");
    }

    Configuration conf = flinkConfiguration(cfg, local);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(cfg.getInt("parallelism"));
    if (cfg.getBoolean("pipeline.object-reuse")) env.getConfig().enableObjectReuse();
    env.enableCheckpointing(cfg.getLong("checkpoint.interval-ms"), CheckpointingMode.EXACTLY_ONCE);

    KafkaSource<SensorRecord> source = KafkaSource.<SensorRecord>builder()
        .setBootstrapServers(cfg.get("kafka.bootstrap"))
        .setTopics(cfg.get("kafka.topic"))
        .setGroupId(cfg.get("kafka.group-id"))
        // Offsets come from the checkpoint on restore; otherwise the group's committed offsets, else earliest.
        .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
        .setDeserializer(new SensorDeserializer())
        .setProperty("commit.offsets.on.checkpoint", "true")
        .setProperty("partition.discovery.interval.ms", "60000")
        .setProperty("client.id.prefix", cfg.get("job.name"))
        .setProperty("max.poll.records", String.valueOf(cfg.getInt("kafka.max-poll-records")))
        .setProperty("max.partition.fetch.bytes", String.valueOf(cfg.getInt("kafka.max-partition-fetch-bytes")))
        .build();

    DataStream<SensorRecord> records = env
        .fromSource(source,
            Pipeline.watermarks(cfg.getMillis("watermark.out-of-orderness-ms"), cfg.getMillis("watermark.idleness-ms")),
            "kafka-" + cfg.get("kafka.topic"))
        .uid("kafka-source");

    Pipeline.Outputs out = Pipeline.build(records, cfg.getMillis("window.size-ms"), cfg.getMillis("window.allowed-lateness-ms"),
        cfg.getBoolean("pipeline.chain-windows") && cfg.getInt("parallelism") == 1);

    IcebergOutput.sink(out.windows, cfg);

    KafkaSink<String> dlq = KafkaSink.<String>builder()
        .setBootstrapServers(cfg.get("kafka.bootstrap"))
        .setRecordSerializer(KafkaRecordSerializationSchema.builder()
            .setTopic(cfg.get("kafka.dlq-topic"))
            .setValueSerializationSchema(new SimpleStringSchema())
            .build())
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
    out.deadLetters.sinkTo(dlq).name("kafka-" + cfg.get("kafka.dlq-topic")).uid("dlq-sink");

    env.execute(cfg.get("job.name"));
  }

  static Configuration flinkConfiguration(JobConfig cfg, boolean local) throws Exception {
    Configuration conf = new Configuration();
    conf.setString("pipeline.name", cfg.get("job.name"));
    // Keep completed checkpoints when the job stops, so the next start can restore from them.
    conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    conf.setString("state.checkpoints.num-retained", cfg.get("checkpoint.retained"));
    conf.setString("execution.checkpointing.min-pause", "1000");
    conf.setString("execution.checkpointing.timeout", "120000");
    conf.setString("execution.checkpointing.tolerable-failed-checkpoints", "3");
    // A lost broker or catalog: restart from the last checkpoint, backing off up to a minute, forever.
    conf.setString("restart-strategy.type", "exponential-delay");
    conf.setString("restart-strategy.exponential-delay.initial-backoff", "1 s");
    conf.setString("restart-strategy.exponential-delay.max-backoff", "60 s");
    conf.setString("restart-strategy.exponential-delay.attempts-before-reset-backoff", "2147483647");
    if (!local) {
      // In a cluster, checkpoint storage and restore belong to the cluster's configuration and the operator,
      // unless the job is told its checkpoint directory (the local cluster's standalone JobManager): then it
      // restores from the newest checkpoint there, as the MiniCluster does.
      if (!JobConfig.DEFAULTS.get("checkpoint.dir").equals(cfg.get("checkpoint.dir"))) {
        conf.setString("state.checkpoints.dir", cfg.get("checkpoint.dir"));
        restoreLatest(conf, cfg, cfg.get("checkpoint.dir"));
      }
      return conf;
    }
    // Flink binds its blob server and RPC on every interface unless told: keep them on the platform's host.
    String host = cfg.get("bind.host");
    for (String key : new String[] {"jobmanager.bind-host", "jobmanager.rpc.address", "taskmanager.bind-host",
        "taskmanager.host", "rest.bind-address", "rest.address"}) {
      conf.setString(key, host);
    }
    Path dir = Path.of(cfg.get("checkpoint.dir")).toAbsolutePath();
    conf.setString("state.backend.type", "hashmap");
    conf.setString("state.checkpoints.dir", dir.toUri().toString());
    conf.setString("taskmanager.numberOfTaskSlots", String.valueOf(Math.max(1, cfg.getInt("parallelism"))));
    restoreLatest(conf, cfg, dir.toUri().toString());
    return conf;
  }

  /** Unless told never to, restores from the newest complete checkpoint under the directory (a URI). */
  static void restoreLatest(Configuration conf, JobConfig cfg, String dir) throws Exception {
    if ("never".equals(cfg.get("restore"))) return;
    Optional<String> latest = CheckpointLocator.latest(dir);
    if (latest.isPresent()) {
      LOG.info("restoring from the latest checkpoint {}", latest.get());
      conf.setString("execution.savepoint.path", latest.get());
    } else {
      LOG.info("no checkpoint under {}: starting from the consumer group's committed offsets (earliest if none)", dir);
    }
  }
}
