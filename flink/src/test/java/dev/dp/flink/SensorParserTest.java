package dev.dp.flink;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SensorParserTest {
  @Test
  void parsesAValidEvent() {
    SensorRecord r = SensorParser.parse(
        "{\"sensor_id\": \"sensor-017\", \"temperature\": 21.37, \"event_time\": \"2026-11-25T18:59:01.123Z\"}");
    assertTrue(r.valid, r.toString());
    assertEquals("sensor-017", r.sensorId);
    assertEquals(21.37, r.temperature, 1e-9);
    assertEquals(java.time.Instant.parse("2026-11-25T18:59:01.123Z").toEpochMilli(), r.eventTime);
  }

  @Test
  void acceptsIntegerTemperaturesAndOffsets() {
    SensorRecord r = SensorParser.parse(
        "{\"sensor_id\": \"s\", \"temperature\": 21, \"event_time\": \"2026-11-25T19:59:01.123+01:00\"}");
    assertTrue(r.valid, r.toString());
    assertEquals(java.time.Instant.parse("2026-11-25T18:59:01.123Z").toEpochMilli(), r.eventTime);
  }

  @Test
  void rejectsMalformedEventsWithAReason() {
    assertMalformed("{not json", "bad JSON");
    assertMalformed("", "bad JSON");
    assertMalformed("[1,2]", "not an object");
    assertMalformed(null, "null value");
    assertMalformed("{\"temperature\": 1, \"event_time\": \"2026-11-25T18:59:01Z\"}", "missing field sensor_id");
    assertMalformed("{\"sensor_id\": \"a\", \"event_time\": \"2026-11-25T18:59:01Z\"}", "missing field temperature");
    assertMalformed("{\"sensor_id\": \"a\", \"temperature\": 1}", "missing field event_time");
    assertMalformed("{\"sensor_id\": 7, \"temperature\": 1, \"event_time\": \"2026-11-25T18:59:01Z\"}", "wrong type for sensor_id");
    assertMalformed("{\"sensor_id\": \"a\", \"temperature\": \"hot\", \"event_time\": \"2026-11-25T18:59:01Z\"}",
        "wrong type for temperature");
    assertMalformed("{\"sensor_id\": \"a\", \"temperature\": 1, \"event_time\": 1764097141}", "wrong type for event_time");
    assertMalformed("{\"sensor_id\": \"a\", \"temperature\": 1, \"event_time\": \"yesterday\"}", "unparseable event_time");
    assertMalformed("{\"sensor_id\": \"a\", \"temperature\": 1e9, \"event_time\": \"2026-11-25T18:59:01Z\"}", "out of range");
  }

  private static void assertMalformed(String json, String reason) {
    SensorRecord r = SensorParser.parse(json);
    assertFalse(r.valid, json);
    assertTrue(r.error.contains(reason), () -> "expected '" + reason + "' in '" + r.error + "'");
    String dlq = DeadLetter.malformed(r);
    assertTrue(dlq.contains("\"reason\":\"malformed\""), dlq);
  }

  /** The fast path over the bytes and the full parse of the text give the same record, valid or not. */
  @Test
  void bytesAndTextParseAlike() {
    String[] values = {
        "{\"sensor_id\":\"sensor-017\",\"temperature\":21.37,\"event_time\":\"2026-11-25T18:59:01.123Z\"}",
        "{\"sensor_id\": \" s \", \"temperature\": -7, \"event_time\": \"2024-02-29T23:59:59.999Z\"}",
        "{\"event_time\":\"2026-11-25T18:59:01Z\",\"temperature\":1e1,\"sensor_id\":\"a\"}",
        "{\"sensor_id\":\"a\",\"temperature\":1,\"event_time\":\"2026-11-25T19:59:01.123+01:00\"}",
        "{\"sensor_id\":\"a\",\"temperature\":1,\"event_time\":\"2026-11-25T18:59:01.123Z\",\"extra\":[1]}",
        "{\"sensor_id\":\"a\",\"sensor_id\":\"b\",\"temperature\":1,\"event_time\":\"2026-11-25T18:59:01.123Z\"}",
        "{\"sensor_id\":\"a\",\"temperature\":1,\"event_time\":\"2026-11-25T18:59:01.123Z\"} trailing",
        "{\"sensor_id\":\"a\",\"temperature\":1,\"event_time\":\"2025-02-29T18:59:01.123Z\"}",
        "{\"sensor_id\":\"a\",\"temperature\":1,\"event_time\":\"2026-13-01T18:59:01.123Z\"}",
        "{\"sensor_id\":\"a\",\"temperature\":1,\"event_time\":\"2026-11-25T24:00:00.000Z\"}",
        "{\"sensor_id\":\"a\",\"temperature\":1,\"event_time\":\"2026-11-25T1a:59:01.123Z\"}",
        "{\"sensor_id\":\"a\",\"temperature\":300,\"event_time\":\"2026-11-25T18:59:01.123Z\"}",
        "{\"sensor_id\":\"\",\"temperature\":1,\"event_time\":\"2026-11-25T18:59:01.123Z\"}",
        "{\"sensor_id\":\"a\",\"temperature\":\"1\",\"event_time\":\"2026-11-25T18:59:01.123Z\"}",
        "{\"sensor_id\":\"a\",\"temperature\":1}",
        "{not json",
        "[1]",
        ""};
    for (String value : values) {
      SensorRecord fromText = SensorParser.parse(value);
      SensorRecord fromBytes = SensorParser.parse(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertEquals(fromText.toString(), fromBytes.toString(), value);
      assertEquals(fromText.error, fromBytes.error, value);
      assertEquals(fromText.raw, fromBytes.raw, value);
    }
    assertFalse(SensorParser.parse((byte[]) null).valid);
  }

  /** The hand-read time equals Instant.parse over four centuries of dates and every hour of a day. */
  @Test
  void fastTimeReadingEqualsInstantParse() {
    java.util.Random random = new java.util.Random(42);
    long from = java.time.Instant.parse("1970-01-01T00:00:00Z").toEpochMilli();
    long to = java.time.Instant.parse("2400-12-31T23:59:59.999Z").toEpochMilli();
    for (int i = 0; i < 200_000; i++) {
      long millis = from + (long) (random.nextDouble() * (to - from));
      String text = java.time.Instant.ofEpochMilli(millis).toString();
      if (text.length() != 24) text = text.replace("Z", ".000Z"); // Instant.toString drops a zero fraction
      assertEquals(millis, SensorParser.parseUtcMillis(text), text);
    }
    assertEquals(Long.MIN_VALUE, SensorParser.parseUtcMillis("2026-11-25T18:59:01Z"));
    assertEquals(Long.MIN_VALUE, SensorParser.parseUtcMillis("1969-12-31T23:59:59.999Z"));
    assertEquals(Long.MIN_VALUE, SensorParser.parseUtcMillis("2100-02-29T00:00:00.000Z"));
    assertEquals(java.time.Instant.parse("2000-02-29T00:00:00Z").toEpochMilli(),
        SensorParser.parseUtcMillis("2000-02-29T00:00:00.000Z"));
  }

  @Test
  void configRejectsSecretsOnTheCommandLine() {
    assertThrows(IllegalArgumentException.class,
        () -> JobConfig.load(new String[] {"--s3.secret-key", "x"}, Map.of()));
  }

  @Test
  void configPrecedence(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("job.properties");
    Files.writeString(file, "kafka.bootstrap=file:1\ncheckpoint.dir=/from/file\nwindow.size-ms=1000\n");
    JobConfig cfg = JobConfig.load(new String[] {"--config", file.toString(), "--checkpoint.dir=/from/args"},
        Map.of("DP_STREAM_KAFKA_BOOTSTRAP", "env:2", "DP_S3_ACCESS_KEY", "ak", "DP_S3_SECRET_KEY", "sk"));
    assertEquals("env:2", cfg.get("kafka.bootstrap"));
    assertEquals("/from/args", cfg.get("checkpoint.dir"));
    assertEquals(1000, cfg.getLong("window.size-ms"));
    assertEquals("ak", cfg.accessKey());
    assertFalse(cfg.describe().contains("sk\n"));
  }

  @Test
  void findsTheLatestCompleteCheckpoint(@TempDir Path dir) throws Exception {
    Path old = Files.createDirectories(dir.resolve("job1/chk-3"));
    Files.writeString(old.resolve("_metadata"), "x");
    Files.setLastModifiedTime(old.resolve("_metadata"), java.nio.file.attribute.FileTime.fromMillis(1000));
    Path newer = Files.createDirectories(dir.resolve("job2/chk-1"));
    Files.writeString(newer.resolve("_metadata"), "x");
    Files.createDirectories(dir.resolve("job2/chk-2")); // unfinished: no _metadata
    Files.createDirectories(dir.resolve("job2/shared"));
    assertEquals(newer, CheckpointLocator.latest(dir).orElseThrow());
    assertTrue(CheckpointLocator.latest(dir.resolve("missing")).isEmpty());
  }
}
