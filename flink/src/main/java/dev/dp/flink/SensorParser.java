package dev.dp.flink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeParseException;

/**
 * Parses one sensor event: {"sensor_id": "sensor-017", "temperature": 21.37, "event_time": "2026-11-25T18:59:01.123Z"}.
 * Never throws: anything that is not such an event comes back as a malformed record with the reason.
 *
 * <p>Records as the producers write them take a fast path (a streaming read of the bytes, the time read by
 * hand); whatever that path does not take exactly as valid goes through the full parse, which gives every
 * malformed record its reason. Both give the same result for any valid record; a backlog of millions is then
 * parsed at several times the speed of a tree read plus {@link Instant#parse}.
 */
public final class SensorParser {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory JSON = MAPPER.getFactory();
  /** Readings outside this range are physically implausible for the simulated sensors; treated as malformed. */
  static final double MIN_TEMPERATURE = -100.0;
  static final double MAX_TEMPERATURE = 200.0;
  static final int MAX_SENSOR_ID_LENGTH = 256;

  private SensorParser() {}

  /** The record value as Kafka holds it (UTF-8); null for a tombstone. */
  public static SensorRecord parse(byte[] value) {
    if (value == null) return parse((String) null);
    SensorRecord fast = parseValid(value);
    return fast != null ? fast : parse(new String(value, StandardCharsets.UTF_8));
  }

  /**
   * The fast path: a flat object with exactly sensor_id (string), temperature (number) and event_time (string),
   * each once, nothing after it, every value valid. Anything else: null, and the caller takes the full parse.
   */
  static SensorRecord parseValid(byte[] value) {
    try (JsonParser p = JSON.createParser(value)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      String sensorId = null;
      double temperature = Double.NaN;
      long eventTime = Long.MIN_VALUE;
      boolean haveTemperature = false;
      JsonToken token;
      while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case "sensor_id" -> {
            if (v != JsonToken.VALUE_STRING || sensorId != null) return null;
            sensorId = p.getText().trim();
            if (sensorId.isEmpty() || sensorId.length() > MAX_SENSOR_ID_LENGTH) return null;
          }
          case "temperature" -> {
            if ((v != JsonToken.VALUE_NUMBER_FLOAT && v != JsonToken.VALUE_NUMBER_INT) || haveTemperature) return null;
            temperature = p.getDoubleValue();
            haveTemperature = true;
            if (!Double.isFinite(temperature) || temperature < MIN_TEMPERATURE || temperature > MAX_TEMPERATURE) {
              return null;
            }
          }
          case "event_time" -> {
            if (v != JsonToken.VALUE_STRING || eventTime != Long.MIN_VALUE) return null;
            eventTime = parseUtcMillis(p.getText());
            if (eventTime == Long.MIN_VALUE) return null;
          }
          default -> {
            return null;
          }
        }
      }
      if (token != JsonToken.END_OBJECT || p.nextToken() != null) return null;
      if (sensorId == null || !haveTemperature || eventTime == Long.MIN_VALUE) return null;
      return SensorRecord.ok(sensorId, temperature, eventTime);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * yyyy-MM-ddTHH:mm:ss.SSSZ (what Date.toISOString writes) in epoch millis, years 1970-9999; Long.MIN_VALUE for
   * any other text (which {@link #parseTime} then reads, or rejects).
   */
  static long parseUtcMillis(String t) {
    if (t.length() != 24 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != 'T' || t.charAt(13) != ':'
        || t.charAt(16) != ':' || t.charAt(19) != '.' || t.charAt(23) != 'Z') {
      return Long.MIN_VALUE;
    }
    int year = digits(t, 0, 4);
    int month = digits(t, 5, 2);
    int day = digits(t, 8, 2);
    int hour = digits(t, 11, 2);
    int minute = digits(t, 14, 2);
    int second = digits(t, 17, 2);
    int millis = digits(t, 20, 3);
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23
        || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) {
      return Long.MIN_VALUE;
    }
    return ((epochDay(year, month, day) * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + millis;
  }

  private static int daysInMonth(int year, int month) {
    if (month == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
    return (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
  }

  /** Days since 1970-01-01 of a proleptic Gregorian date with year >= 0 (the civil-from-days inverse). */
  static long epochDay(int year, int month, int day) {
    int y = month <= 2 ? year - 1 : year;
    int era = y / 400;
    int yearOfEra = y - era * 400;
    int dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return era * 146_097L + dayOfEra - 719_468L;
  }

  /** The decimal number in t[from, from+n), or -1 when a character is not a digit. */
  private static int digits(String t, int from, int n) {
    int v = 0;
    for (int i = from; i < from + n; i++) {
      char c = t.charAt(i);
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }

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
