package dev.dp.flink;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.metrics.Counter;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's logic, independent of where records come from and go to (so tests can drive it with a bounded
 * source): keep the watermark across restores, route malformed records to the dead-letter stream, window the valid ones per sensor, send events
 * later than the allowed lateness to the dead-letter stream too.
 */
public final class Pipeline {
  public static final OutputTag<String> MALFORMED = new OutputTag<>("malformed") {};
  public static final OutputTag<SensorRecord> LATE = new OutputTag<>("late") {};

  private Pipeline() {}

  /** What the pipeline produces: window rows for the table and dead letters (JSON) for the DLQ topic. */
  public static final class Outputs {
    public final DataStream<SensorWindow> windows;
    public final DataStream<String> deadLetters;

    Outputs(DataStream<SensorWindow> windows, DataStream<String> deadLetters) {
      this.windows = windows;
      this.deadLetters = deadLetters;
    }
  }

  /** Bounded out-of-orderness on event time, with idleness so an empty Kafka partition does not hold windows back. */
  public static WatermarkStrategy<SensorRecord> watermarks(Duration outOfOrderness, Duration idleness) {
    WatermarkStrategy<SensorRecord> strategy = WatermarkStrategy.<SensorRecord>forBoundedOutOfOrderness(outOfOrderness)
        .withTimestampAssigner((r, kafkaTs) -> r.valid ? r.eventTime : Long.MIN_VALUE);
    return idleness.isZero() ? strategy : strategy.withIdleness(idleness);
  }

  /** @param records parsed records with event-time timestamps and watermarks already assigned */
  public static Outputs build(DataStream<SensorRecord> records, Duration windowSize, Duration allowedLateness) {
    return build(records, windowSize, allowedLateness, false);
  }

  /**
   * @param chainWindows window in the source's task, without the shuffle (no serialization of each record between
   *     two threads); only right when the job runs with parallelism 1, where one subtask owns every key
   */
  public static Outputs build(DataStream<SensorRecord> records, Duration windowSize, Duration allowedLateness,
      boolean chainWindows) {
    if (chainWindows && records.getParallelism() != 1) {
      throw new IllegalArgumentException("windows chained to the source need parallelism 1, not " + records.getParallelism());
    }
    SingleOutputStreamOperator<SensorRecord> valid = records
        .transform("watermark-carry-over", records.getType(), new WatermarkCarryOver<SensorRecord>())
        .uid("watermark-carry-over")
        .process(new RouteMalformed())
        .name("route-malformed")
        .uid("route-malformed");

    KeySelector<SensorRecord, String> sensor = r -> r.sensorId;
    KeyedStream<SensorRecord, String> keyed = chainWindows
        ? DataStreamUtils.reinterpretAsKeyedStream(valid, sensor, Types.STRING)
        : valid.keyBy(sensor);
    SingleOutputStreamOperator<SensorWindow> windows = keyed
        .window(TumblingEventTimeWindows.of(windowSize))
        .allowedLateness(allowedLateness)
        .sideOutputLateData(LATE)
        .aggregate(new TemperatureAggregate(), new EmitWindow())
        .name("window-1m")
        .uid("window-1m");

    DataStream<String> late = windows.getSideOutput(LATE)
        .process(new CountLate())
        .name("late-to-dlq")
        .uid("late-to-dlq");

    DataStream<String> deadLetters = valid.getSideOutput(MALFORMED).union(late);
    return new Outputs(windows, deadLetters);
  }

  /** Valid records pass on; malformed ones become dead letters on a side output and are counted. */
  static class RouteMalformed extends ProcessFunction<SensorRecord, SensorRecord> implements CheckpointListener {
    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(RouteMalformed.class);
    private transient Counter malformed;
    private transient Counter validCount;
    private transient long seenMalformed;

    @Override
    public void open(OpenContext ctx) {
      malformed = getRuntimeContext().getMetricGroup().counter("malformedEvents");
      validCount = getRuntimeContext().getMetricGroup().counter("validEvents");
    }

    @Override
    public void processElement(SensorRecord r, Context ctx, Collector<SensorRecord> out) {
      if (r.valid) {
        validCount.inc();
        out.collect(r);
        return;
      }
      malformed.inc();
      seenMalformed++;
      if (seenMalformed <= 20 || seenMalformed % 1000 == 0) {
        LOG.warn("malformed event #{} at {}-{}@{}: {}", seenMalformed, r.topic, r.partition, r.offset, r.error);
      }
      ctx.output(MALFORMED, DeadLetter.malformed(r));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      LOG.info("checkpoint {} complete: valid events {}, malformed events {} (since start)", checkpointId,
          validCount.getCount(), malformed.getCount());
    }
  }

  /** Adds the window bounds and the key to the incremental aggregate. */
  static class EmitWindow extends ProcessWindowFunction<TemperatureAggregate.Acc, SensorWindow, String, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(String sensorId, Context ctx, Iterable<TemperatureAggregate.Acc> accs, Collector<SensorWindow> out) {
      for (TemperatureAggregate.Acc a : accs) {
        out.collect(new SensorWindow(ctx.window().getStart(), ctx.window().getEnd(), sensorId, a.avg(), a.min, a.max, a.count));
      }
    }
  }

  /** Events past window end + allowed lateness: counted, and written to the DLQ with reason "late". */
  static class CountLate extends ProcessFunction<SensorRecord, String> implements CheckpointListener {
    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(CountLate.class);
    private transient Counter late;

    @Override
    public void open(OpenContext ctx) {
      late = getRuntimeContext().getMetricGroup().counter("lateEvents");
    }

    @Override
    public void processElement(SensorRecord r, Context ctx, Collector<String> out) {
      late.inc();
      if (late.getCount() <= 20 || late.getCount() % 1000 == 0) {
        LOG.warn("late event #{}: {} at {} (watermark {})", late.getCount(), r.sensorId, r.eventTime,
            ctx.timerService().currentWatermark());
      }
      out.collect(DeadLetter.late(r, ctx.timerService().currentWatermark()));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      if (late.getCount() > 0) LOG.info("checkpoint {} complete: late events {} (since start)", checkpointId, late.getCount());
    }
  }
}
