package dev.dp.flink;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The job's settings. Precedence: defaults < --config file (Java properties) < environment (DP_STREAM_<KEY>, e.g.
 * DP_STREAM_KAFKA_BOOTSTRAP for kafka.bootstrap) < command-line --key value / --key=value.
 * S3 keys come from the environment only (DP_S3_ACCESS_KEY / DP_S3_SECRET_KEY, or AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY): never from arguments or the config file, which other users may be able to read.
 */
public final class JobConfig {
  public static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put("job.name", "sensor-temperature-1m");
    DEFAULTS.put("parallelism", "1");
    DEFAULTS.put("kafka.bootstrap", "127.0.0.1:9092");
    DEFAULTS.put("kafka.topic", "sensor-topic");
    DEFAULTS.put("kafka.dlq-topic", "sensor-topic-dlq");
    DEFAULTS.put("kafka.group-id", "dp-sensor-temperature-1m");
    /** Records one poll of the Kafka consumer hands over (Kafka's default 500): fewer hand-overs in a backlog. */
    DEFAULTS.put("kafka.max-poll-records", "500");
    /** Bytes a fetch brings per partition (Kafka's default 1 MiB). */
    DEFAULTS.put("kafka.max-partition-fetch-bytes", "1048576");
    /**
     * Chained operators pass records on without copying them (none of the job's operators keeps or changes a
     * record it has passed on). Off: Flink's default copy between chained operators.
     */
    DEFAULTS.put("pipeline.object-reuse", "false");
    /**
     * With parallelism 1: the windows run in the source's task, records are not serialized for a shuffle to a
     * second task (one thread does all). Ignored with a higher parallelism.
     */
    DEFAULTS.put("pipeline.chain-windows", "false");
    DEFAULTS.put("catalog.name", "lakehouse");
    DEFAULTS.put("catalog.impl", "org.apache.iceberg.rest.RESTCatalog");
    DEFAULTS.put("catalog.uri", "http://127.0.0.1:19120/iceberg/");
    DEFAULTS.put("catalog.warehouse", "warehouse");
    DEFAULTS.put("table", "iot.sensor_temperature_1m");
    DEFAULTS.put("table.upsert", "true");
    DEFAULTS.put("s3.endpoint", "http://127.0.0.1:8333");
    DEFAULTS.put("s3.region", "us-east-1");
    DEFAULTS.put("s3.path-style-access", "true");
    DEFAULTS.put("checkpoint.dir", "checkpoints");
    DEFAULTS.put("checkpoint.interval-ms", "10000");
    DEFAULTS.put("checkpoint.retained", "3");
    /** auto: restore from the newest retained checkpoint under checkpoint.dir (the MiniCluster; in a cluster only when checkpoint.dir is given); never: start fresh. */
    DEFAULTS.put("restore", "auto");
    /** Address the local MiniCluster's sockets (RPC, blob server, REST, data exchange) bind. */
    DEFAULTS.put("bind.host", "127.0.0.1");
    DEFAULTS.put("watermark.out-of-orderness-ms", "5000");
    DEFAULTS.put("watermark.idleness-ms", "30000");
    DEFAULTS.put("window.size-ms", "60000");
    DEFAULTS.put("window.allowed-lateness-ms", "60000");
  }

  static final String[] SECRET_KEYS = {"s3.access-key", "s3.secret-key", "s3.access-key-id", "s3.secret-access-key"};

  private final Map<String, String> values;
  private final String accessKey;
  private final String secretKey;

  private JobConfig(Map<String, String> values, String accessKey, String secretKey) {
    this.values = values;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  public static JobConfig load(String[] args, Map<String, String> env) throws IOException {
    Map<String, String> fromArgs = parseArgs(args);
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    String file = fromArgs.remove("config");
    if (file == null) file = env.get("DP_STREAM_CONFIG");
    if (file != null) {
      Properties props = new Properties();
      try (Reader reader = Files.newBufferedReader(Path.of(file))) {
        props.load(reader);
      }
      for (String name : props.stringPropertyNames()) {
        rejectSecret(name, "the config file " + file);
        values.put(name, props.getProperty(name).trim());
      }
    }
    for (String key : DEFAULTS.keySet()) {
      String fromEnv = env.get(envName(key));
      if (fromEnv != null && !fromEnv.isEmpty()) values.put(key, fromEnv);
    }
    for (Map.Entry<String, String> e : fromArgs.entrySet()) {
      rejectSecret(e.getKey(), "the command line");
      values.put(e.getKey(), e.getValue());
    }
    String ak = firstNonEmpty(env.get("DP_S3_ACCESS_KEY"), env.get("AWS_ACCESS_KEY_ID"));
    String sk = firstNonEmpty(env.get("DP_S3_SECRET_KEY"), env.get("AWS_SECRET_ACCESS_KEY"));
    return new JobConfig(values, ak, sk);
  }

  /** For tests: defaults plus overrides, no environment. */
  public static JobConfig of(Map<String, String> overrides) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    values.putAll(overrides);
    return new JobConfig(values, null, null);
  }

  static String envName(String key) {
    return "DP_STREAM_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static void rejectSecret(String key, String where) {
    for (String secret : SECRET_KEYS) {
      if (secret.equalsIgnoreCase(key)) {
        throw new IllegalArgumentException(
            key + " must not be given in " + where + ": set DP_S3_ACCESS_KEY and DP_S3_SECRET_KEY in the environment");
      }
    }
  }

  static Map<String, String> parseArgs(String[] args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) throw new IllegalArgumentException("Unexpected argument '" + arg + "': use --key value");
      String key = arg.substring(2);
      String value;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        value = args[++i];
      } else {
        value = "true";
      }
      out.put(key, value);
    }
    return out;
  }

  private static String firstNonEmpty(String a, String b) {
    if (a != null && !a.isEmpty()) return a;
    return b != null && !b.isEmpty() ? b : null;
  }

  public String get(String key) {
    String v = values.get(key);
    if (v == null) throw new IllegalArgumentException("Missing setting " + key);
    return v;
  }

  public long getLong(String key) {
    try {
      return Long.parseLong(get(key));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Setting " + key + " must be a whole number, got '" + get(key) + "'", e);
    }
  }

  public int getInt(String key) {
    return (int) getLong(key);
  }

  public Duration getMillis(String key) {
    return Duration.ofMillis(getLong(key));
  }

  public boolean getBoolean(String key) {
    return Boolean.parseBoolean(get(key));
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  /** Extra Iceberg catalog properties: every catalog.prop.X=Y becomes X=Y (e.g. catalog.prop.ref=main). */
  public Map<String, String> catalogPassthrough() {
    Map<String, String> out = new LinkedHashMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith("catalog.prop.")) out.put(k.substring("catalog.prop.".length()), v);
    });
    return out;
  }

  /** The settings without secrets, for the log. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    values.forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(v).append('\n'));
    sb.append("  s3 keys = ").append(accessKey != null && secretKey != null ? "from environment" : "NOT SET");
    return sb.toString();
  }
}
