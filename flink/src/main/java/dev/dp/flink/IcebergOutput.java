package dev.dp.flink;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.sink.FlinkSink;
import org.apache.iceberg.flink.util.FlinkCompatibilityUtil;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Iceberg side: catalog (Nessie's Iceberg REST endpoint by default), table creation, the exactly-once sink. */
public final class IcebergOutput {
  private static final Logger LOG = LoggerFactory.getLogger(IcebergOutput.class);

  public static final Schema SCHEMA = new Schema(
      List.of(
          Types.NestedField.required(1, "window_start", Types.TimestampType.withZone()),
          Types.NestedField.required(2, "window_end", Types.TimestampType.withZone()),
          Types.NestedField.required(3, "sensor_id", Types.StringType.get()),
          Types.NestedField.required(4, "avg_temperature", Types.DoubleType.get()),
          Types.NestedField.required(5, "min_temperature", Types.DoubleType.get()),
          Types.NestedField.required(6, "max_temperature", Types.DoubleType.get()),
          Types.NestedField.required(7, "event_count", Types.LongType.get())),
      Set.of(1, 3));
  public static final PartitionSpec SPEC = PartitionSpec.builderFor(SCHEMA).day("window_start").build();
  /** A window re-fired by a late (but allowed) event replaces the earlier row for the same window and sensor. */
  public static final List<String> EQUALITY_FIELDS = List.of("window_start", "sensor_id");

  private IcebergOutput() {}

  public static Map<String, String> catalogProperties(JobConfig cfg) {
    Map<String, String> p = new HashMap<>();
    p.put("uri", cfg.get("catalog.uri"));
    p.put("warehouse", cfg.get("catalog.warehouse"));
    p.put("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
    p.put("s3.endpoint", cfg.get("s3.endpoint"));
    p.put("s3.path-style-access", cfg.get("s3.path-style-access"));
    p.put("client.region", cfg.get("s3.region"));
    if (cfg.accessKey() != null) p.put("s3.access-key-id", cfg.accessKey());
    if (cfg.secretKey() != null) p.put("s3.secret-access-key", cfg.secretKey());
    p.putAll(cfg.catalogPassthrough());
    return p;
  }

  public static CatalogLoader catalogLoader(JobConfig cfg) {
    return CatalogLoader.custom(cfg.get("catalog.name"), catalogProperties(cfg),
        new org.apache.hadoop.conf.Configuration(), cfg.get("catalog.impl"));
  }

  /** Creates the namespace and table when missing (format v2, identifier fields for upserts). */
  public static void ensureTable(CatalogLoader loader, TableIdentifier id) throws java.io.IOException {
    Catalog catalog = loader.loadCatalog();
    try {
      ensureTable(catalog, id);
    } finally {
      if (catalog instanceof java.io.Closeable closeable) closeable.close();
    }
  }

  static Table ensureTable(Catalog catalog, TableIdentifier id) {
    if (catalog instanceof SupportsNamespaces ns && !id.namespace().isEmpty()
        && !ns.namespaceExists(id.namespace())) {
      try {
        ns.createNamespace(id.namespace());
        LOG.info("created namespace {}", id.namespace());
      } catch (AlreadyExistsException e) {
        // created concurrently
      }
    }
    if (catalog.tableExists(id)) return catalog.loadTable(id);
    Map<String, String> props = Map.of(
        TableProperties.FORMAT_VERSION, "2",
        TableProperties.DEFAULT_FILE_FORMAT, "parquet",
        TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
        TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "20");
    try {
      Table table = catalog.createTable(id, SCHEMA, SPEC, props);
      LOG.info("created table {} at {}", id, table.location());
      return table;
    } catch (AlreadyExistsException e) {
      return catalog.loadTable(id);
    }
  }

  public static TypeInformation<RowData> rowType() {
    return FlinkCompatibilityUtil.toTypeInfo(FlinkSchemaUtil.convert(SCHEMA));
  }

  public static RowData toRow(SensorWindow w) {
    return GenericRowData.of(
        TimestampData.fromEpochMillis(w.windowStart),
        TimestampData.fromEpochMillis(w.windowEnd),
        StringData.fromString(w.sensorId),
        w.avgTemperature,
        w.minTemperature,
        w.maxTemperature,
        w.eventCount);
  }

  /** Rows are committed to the table when a checkpoint completes (exactly once across restarts from checkpoints). */
  public static void sink(DataStream<SensorWindow> windows, JobConfig cfg) throws java.io.IOException {
    CatalogLoader loader = catalogLoader(cfg);
    TableIdentifier id = TableIdentifier.parse(cfg.get("table"));
    ensureTable(loader, id);
    DataStream<RowData> rows = windows.map(IcebergOutput::toRow).returns(rowType()).name("to-rowdata").uid("to-rowdata");
    FlinkSink.Builder builder = FlinkSink.forRowData(rows)
        .tableLoader(TableLoader.fromCatalog(loader, id))
        .writeParallelism(cfg.getInt("parallelism"))
        .uidPrefix("iceberg-" + id.name());
    if (cfg.getBoolean("table.upsert")) builder.upsert(true).equalityFieldColumns(EQUALITY_FIELDS);
    builder.append();
  }

  static Namespace namespaceOf(String table) {
    return TableIdentifier.parse(table).namespace();
  }
}
