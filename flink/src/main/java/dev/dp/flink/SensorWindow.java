package dev.dp.flink;

/** One row of iot.sensor_temperature_1m: one sensor's readings in one 1-minute event-time window. */
public class SensorWindow {
  public long windowStart;
  public long windowEnd;
  public String sensorId;
  public double avgTemperature;
  public double minTemperature;
  public double maxTemperature;
  public long eventCount;

  public SensorWindow() {}

  public SensorWindow(long windowStart, long windowEnd, String sensorId, double avg, double min, double max, long count) {
    this.windowStart = windowStart;
    this.windowEnd = windowEnd;
    this.sensorId = sensorId;
    this.avgTemperature = avg;
    this.minTemperature = min;
    this.maxTemperature = max;
    this.eventCount = count;
  }

  @Override
  public String toString() {
    return "SensorWindow{" + sensorId + " [" + windowStart + "," + windowEnd + ") avg=" + avgTemperature + " min="
        + minTemperature + " max=" + maxTemperature + " n=" + eventCount + "}";
  }
}
