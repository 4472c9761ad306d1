package dev.dp.flink;

import org.apache.flink.api.common.functions.AggregateFunction;

/** Incremental count/sum/min/max of one sensor's window (constant state per window, whatever the rate). */
public class TemperatureAggregate implements AggregateFunction<SensorRecord, TemperatureAggregate.Acc, TemperatureAggregate.Acc> {
  private static final long serialVersionUID = 1L;

  public static class Acc {
    public long count;
    public double sum;
    public double min = Double.POSITIVE_INFINITY;
    public double max = Double.NEGATIVE_INFINITY;

    public Acc() {}

    public double avg() {
      return count == 0 ? Double.NaN : sum / count;
    }
  }

  @Override
  public Acc createAccumulator() {
    return new Acc();
  }

  @Override
  public Acc add(SensorRecord value, Acc acc) {
    acc.count++;
    acc.sum += value.temperature;
    acc.min = Math.min(acc.min, value.temperature);
    acc.max = Math.max(acc.max, value.temperature);
    return acc;
  }

  @Override
  public Acc getResult(Acc acc) {
    return acc;
  }

  @Override
  public Acc merge(Acc a, Acc b) {
    Acc m = new Acc();
    m.count = a.count + b.count;
    m.sum = a.sum + b.sum;
    m.min = Math.min(a.min, b.min);
    m.max = Math.max(a.max, b.max);
    return m;
  }
}
