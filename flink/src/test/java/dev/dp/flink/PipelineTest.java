package dev.dp.flink;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs the real pipeline in a local MiniCluster on a bounded source with per-event watermarks. */
class PipelineTest {
  static final Instant T0 = Instant.parse("2026-11-25T18:00:00Z");

  static String event(String sensor, double temp, long offsetMs) {
    return "{\"sensor_id\": \"" + sensor + "\", \"temperature\": " + temp + ", \"event_time\": \""
        + T0.plusMillis(offsetMs) + "\"}";
  }

  /** Bounded out-of-orderness, but a watermark after every event so the test does not depend on timing. */
  static class PerEvent implements WatermarkGenerator<SensorRecord> {
    long max = Long.MIN_VALUE + 5001;

    @Override
    public void onEvent(SensorRecord r, long ts, WatermarkOutput out) {
      if (!r.valid) return;
      max = Math.max(max, ts);
      out.emitWatermark(new Watermark(max - 5000 - 1));
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {}
  }

  /** The same results whichever way records travel: copied or reused between chained operators, shuffled or not. */
  @ParameterizedTest(name = "chained windows {0}, object reuse {1}")
  @CsvSource({"false, false", "false, true", "true, false", "true, true"})
  void windowsPerSensorAndRoutesMalformedAndLateEvents(boolean chainWindows, boolean objectReuse) throws Exception {
    List<SensorRecord> input = new ArrayList<>();
    for (String json : List.of(
        event("s1", 20.0, 1_000),
        event("s1", 22.0, 30_000),
        event("s2", 10.0, 10_000),
        "{not json",
        event("s1", 24.0, 59_999),
        event("s1", 30.0, 61_000),
        event("s1", 18.0, 3_000), // out of order, within the 5 s bound: still in window 0
        "{\"sensor_id\": 5, \"temperature\": 1, \"event_time\": \"2026-11-25T18:00:00Z\"}",
        event("s2", 11.0, 200_000), // watermark to 195 s: windows 0 and 1 fire, window 0 expires (60 s lateness)
        event("s1", 40.0, 150_000), // window [120,180) after its end, within lateness: fires at once
        event("s1", 42.0, 150_500), // ...and re-fires with the update
        event("s1", 99.0, 5_000), // beyond window end + allowed lateness: late
        "{\"sensor_id\": \"s3\", \"event_time\": \"2026-11-25T18:00:00Z\"}")) {
      input.add(SensorParser.parse(json));
    }

    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1);
    if (objectReuse) env.getConfig().enableObjectReuse();
    DataStream<SensorRecord> records = env.fromData(input, TypeInformation.of(SensorRecord.class))
        .assignTimestampsAndWatermarks(WatermarkStrategy.<SensorRecord>forGenerator(ctx -> new PerEvent())
            .withTimestampAssigner((r, ts) -> r.valid ? r.eventTime : Long.MIN_VALUE));
    Pipeline.Outputs out = Pipeline.build(records, Duration.ofMinutes(1), Duration.ofMinutes(1), chainWindows);
    DataStream<String> all = out.windows.map(w -> "W " + w.sensorId + " " + (w.windowStart - T0.toEpochMilli()) / 1000
            + " n=" + w.eventCount + " avg=" + w.avgTemperature + " min=" + w.minTemperature + " max=" + w.maxTemperature)
        .union(out.deadLetters.map(d -> "D " + d));

    List<String> results = new ArrayList<>();
    try (CloseableIterator<String> it = all.executeAndCollect()) {
      it.forEachRemaining(results::add);
    }

    List<String> windows = results.stream().filter(s -> s.startsWith("W ")).sorted().toList();
    assertEquals(List.of(
        "W s1 0 n=4 avg=21.0 min=18.0 max=24.0",
        "W s1 120 n=1 avg=40.0 min=40.0 max=40.0",
        "W s1 120 n=2 avg=41.0 min=40.0 max=42.0",
        "W s1 60 n=1 avg=30.0 min=30.0 max=30.0",
        "W s2 0 n=1 avg=10.0 min=10.0 max=10.0",
        "W s2 180 n=1 avg=11.0 min=11.0 max=11.0"), windows);

    List<String> dead = results.stream().filter(s -> s.startsWith("D ")).toList();
    assertEquals(3, dead.stream().filter(s -> s.contains("\"reason\":\"malformed\"")).count(), dead::toString);
    List<String> late = dead.stream().filter(s -> s.contains("\"reason\":\"late\"")).toList();
    assertEquals(1, late.size(), dead::toString);
    assertTrue(late.get(0).contains("\"temperature\":99.0"), late.get(0));
  }

  @Test
  void rowConversionMatchesTheTableSchema() {
    SensorWindow w = new SensorWindow(T0.toEpochMilli(), T0.toEpochMilli() + 60_000, "s1", 21.0, 18.0, 24.0, 4);
    var row = IcebergOutput.toRow(w);
    assertEquals(IcebergOutput.SCHEMA.columns().size(), row.getArity());
    assertEquals(T0.toEpochMilli(), row.getTimestamp(0, 6).getMillisecond());
    assertEquals("s1", row.getString(2).toString());
    assertEquals(4L, row.getLong(6));
    assertNotNull(IcebergOutput.rowType());
    assertEquals(List.of(1, 3), IcebergOutput.SCHEMA.identifierFieldIds().stream().sorted().toList());
  }
}
