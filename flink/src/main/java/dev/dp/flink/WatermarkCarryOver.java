package dev.dp.flink;

import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Carries the event-time watermark across a restore.
 *
 * <p>Flink does not checkpoint watermarks: a restored job starts at {@code Long.MIN_VALUE}, so the window operator
 * would take an event for a window that was already final (and purged) as on time and open that window again; its
 * partial aggregate would then overwrite the final row in the table. This operator keeps the highest watermark it
 * forwarded in its checkpointed state and, after a restore, emits it before anything else and forwards only higher
 * ones: lateness is decided the same way before and after a restart.
 */
public final class WatermarkCarryOver<T> extends AbstractStreamOperator<T> implements OneInputStreamOperator<T, T> {
  private static final long serialVersionUID = 1L;

  private transient ListState<Long> carried;
  /** Highest watermark sent downstream by this run. */
  private transient long forwarded;
  /** The watermark restored from the checkpoint (MIN_VALUE when none). */
  private transient long restored;
  private transient boolean restoredSent;

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    forwarded = Long.MIN_VALUE;
    restored = Long.MIN_VALUE;
    restoredSent = false;
    carried = context.getOperatorStateStore()
        .getListState(new ListStateDescriptor<>("carried-watermark", Long.class));
    if (context.isRestored()) {
      // After rescaling a subtask may get several entries: the lowest is the one every window operator had reached.
      long lowest = Long.MAX_VALUE;
      for (Long w : carried.get()) lowest = Math.min(lowest, w);
      if (lowest != Long.MAX_VALUE) restored = lowest;
      if (restored != Long.MIN_VALUE) LOG.info("restored event-time watermark {}", restored);
    }
  }

  private void sendRestored() {
    if (restoredSent) return;
    restoredSent = true;
    if (restored > forwarded) {
      forwarded = restored;
      output.emitWatermark(new Watermark(restored));
    }
  }

  @Override
  public void processElement(StreamRecord<T> element) {
    sendRestored();
    output.collect(element);
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    sendRestored();
    if (mark.getTimestamp() > forwarded) {
      forwarded = mark.getTimestamp();
      super.processWatermark(mark);
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    carried.update(List.of(Math.max(forwarded, restored)));
  }
}
