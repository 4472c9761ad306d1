package dev.dp.flink;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class WatermarkCarryOverTest {
  static OneInputStreamOperatorTestHarness<String, String> harness() throws Exception {
    return new OneInputStreamOperatorTestHarness<>(new WatermarkCarryOver<String>());
  }

  /** What reached the output, as "w:<ts>" for watermarks and "e:<value>" for elements. */
  static List<String> drain(OneInputStreamOperatorTestHarness<String, String> h) {
    List<String> seen = new ArrayList<>();
    for (Object o : h.getOutput()) {
      if (o instanceof Watermark w) seen.add("w:" + w.getTimestamp());
      else if (o instanceof StreamRecord<?> r) seen.add("e:" + r.getValue());
    }
    h.getOutput().clear();
    return seen;
  }

  @Test
  void forwardsOnlyRisingWatermarksAndElementsAsTheyCome() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement("a", 10);
      h.processWatermark(new Watermark(100));
      h.processWatermark(new Watermark(50));
      h.processElement("b", 20);
      h.processWatermark(new Watermark(200));
      assertEquals(List.of("e:a", "w:100", "e:b", "w:200"), drain(h));
    }
  }

  @Test
  void afterARestoreTheCheckpointedWatermarkComesFirstAndLowerOnesAreHeldBack() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      h.open();
      h.processWatermark(new Watermark(120_000));
      h.processElement("x", 119_000);
      snapshot = h.snapshot(1, 1);
      h.processWatermark(new Watermark(180_000)); // after the checkpoint: not carried
    }
    try (var h = harness()) {
      h.initializeState(snapshot);
      h.open();
      // The source starts again from MIN_VALUE: its first watermarks are lower than the carried one.
      h.processElement("late-for-a-final-window", 10_000);
      h.processWatermark(new Watermark(Long.MIN_VALUE));
      h.processWatermark(new Watermark(90_000));
      h.processWatermark(new Watermark(130_000));
      assertEquals(List.of("w:120000", "e:late-for-a-final-window", "w:130000"), drain(h));

      // The next checkpoint carries the new high mark.
      OperatorSubtaskState second = h.snapshot(2, 2);
      try (var h2 = harness()) {
        h2.initializeState(second);
        h2.open();
        h2.processWatermark(new Watermark(1));
        assertEquals(List.of("w:130000"), drain(h2));
      }
    }
  }

  @Test
  void aFirstStartHasNothingToCarry() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      h.open();
      snapshot = h.snapshot(1, 1); // no watermark seen yet
    }
    try (var h = harness()) {
      h.initializeState(snapshot);
      h.open();
      h.processElement("e", 5);
      h.processWatermark(new Watermark(7));
      assertEquals(List.of("e:e", "w:7"), drain(h));
    }
  }
}
