package dev.dp.flink;

/**
 * One record read from the sensor topic, already parsed: either a valid reading ({@link #valid}) or a malformed
 * one with the reason. A Flink POJO (public fields, no-arg constructor) so it never falls back to Kryo.
 */
public class SensorRecord {
  public boolean valid;
  public String sensorId;
  public double temperature;
  /** Event time in epoch milliseconds; Long.MIN_VALUE when malformed. */
  public long eventTime = Long.MIN_VALUE;
  /** Why the record is malformed (null when valid). */
  public String error;
  /** The raw value, kept for malformed records only (for the dead-letter topic). */
  public String raw;
  public String key;
  public String topic;
  public int partition = -1;
  public long offset = -1;

  public SensorRecord() {}

  public static SensorRecord ok(String sensorId, double temperature, long eventTime) {
    SensorRecord r = new SensorRecord();
    r.valid = true;
    r.sensorId = sensorId;
    r.temperature = temperature;
    r.eventTime = eventTime;
    return r;
  }

  public static SensorRecord malformed(String error, String raw) {
    SensorRecord r = new SensorRecord();
    r.valid = false;
    r.error = error;
    r.raw = raw;
    return r;
  }

  @Override
  public String toString() {
    return valid
        ? "SensorRecord{" + sensorId + ", " + temperature + ", " + eventTime + "}"
        : "SensorRecord{malformed: " + error + "}";
  }
}
