package dev.dp.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/** The JSON written to the dead-letter topic: why, where from, and the original event. */
public final class DeadLetter {
  public static final String REASON_MALFORMED = "malformed";
  public static final String REASON_LATE = "late";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private DeadLetter() {}

  public static String malformed(SensorRecord r) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("reason", REASON_MALFORMED);
    node.put("error", r.error);
    source(node, r);
    node.put("raw", r.raw);
    node.put("detected_at", Instant.now().toString());
    return node.toString();
  }

  /** A valid event that arrived after its window closed (past the allowed lateness). */
  public static String late(SensorRecord r, long watermark) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("reason", REASON_LATE);
    node.put("error", "event time older than window end + allowed lateness");
    source(node, r);
    ObjectNode event = node.putObject("event");
    event.put("sensor_id", r.sensorId);
    event.put("temperature", r.temperature);
    event.put("event_time", Instant.ofEpochMilli(r.eventTime).toString());
    if (watermark > Long.MIN_VALUE) node.put("watermark", Instant.ofEpochMilli(watermark).toString());
    node.put("detected_at", Instant.now().toString());
    return node.toString();
  }

  private static void source(ObjectNode node, SensorRecord r) {
    if (r.topic != null) node.put("topic", r.topic);
    if (r.partition >= 0) node.put("partition", r.partition);
    if (r.offset >= 0) node.put("offset", r.offset);
    if (r.key != null) node.put("key", r.key);
  }
}
