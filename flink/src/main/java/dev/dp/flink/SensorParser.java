package dev.dp.flink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Parses one sensor event: {"sensor_id": "sensor-017", "temperature": 21.37, "event_time": "2026-11-25T18:59:01.123Z"}.
 * Never throws: anything that is not such an event comes back as a malformed record with the reason.
 */
public final class SensorParser {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Readings outside this range are physically implausible for the simulated sensors; treated as malformed. */
  static final double MIN_TEMPERATURE = -100.0;
  static final double MAX_TEMPERATURE = 200.0;
  static final int MAX_SENSOR_ID_LENGTH = 256;

  private SensorParser() {}

  public static SensorRecord parse(String value) {
    if (value == null) return SensorRecord.malformed("null value (tombstone)", null);
    JsonNode root;
    try {
      root = MAPPER.readTree(value);
    } catch (JsonProcessingException e) {
      return SensorRecord.malformed("bad JSON: " + firstLine(e.getOriginalMessage()), value);
    } catch (RuntimeException e) {
      return SensorRecord.malformed("bad JSON: " + e.getClass().getSimpleName(), value);
    }
    if (root == null || root.isMissingNode()) return SensorRecord.malformed("bad JSON: empty value", value);
    if (!root.isObject()) return SensorRecord.malformed("bad JSON: not an object", value);

    JsonNode id = root.get("sensor_id");
    if (id == null || id.isNull()) return SensorRecord.malformed("missing field sensor_id", value);
    if (!id.isTextual()) return SensorRecord.malformed("wrong type for sensor_id: " + id.getNodeType(), value);
    String sensorId = id.textValue().trim();
    if (sensorId.isEmpty()) return SensorRecord.malformed("empty sensor_id", value);
    if (sensorId.length() > MAX_SENSOR_ID_LENGTH) return SensorRecord.malformed("sensor_id too long", value);

    JsonNode temp = root.get("temperature");
    if (temp == null || temp.isNull()) return SensorRecord.malformed("missing field temperature", value);
    if (!temp.isNumber()) return SensorRecord.malformed("wrong type for temperature: " + temp.getNodeType(), value);
    double temperature = temp.doubleValue();
    if (!Double.isFinite(temperature) || temperature < MIN_TEMPERATURE || temperature > MAX_TEMPERATURE) {
      return SensorRecord.malformed("temperature out of range: " + temperature, value);
    }

    JsonNode time = root.get("event_time");
    if (time == null || time.isNull()) return SensorRecord.malformed("missing field event_time", value);
    if (!time.isTextual()) return SensorRecord.malformed("wrong type for event_time: " + time.getNodeType(), value);
    Long eventTime = parseTime(time.textValue());
    if (eventTime == null) return SensorRecord.malformed("unparseable event_time: " + time.textValue(), value);

    return SensorRecord.ok(sensorId, temperature, eventTime);
  }

  /** ISO-8601 with Z or an offset, in epoch millis; null when unparseable. */
  static Long parseTime(String text) {
    try {
      return Instant.parse(text).toEpochMilli();
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(text).toInstant().toEpochMilli();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  private static String firstLine(String message) {
    if (message == null) return "";
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
