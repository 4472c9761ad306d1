package dev.dp.flink;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Kafka record -> parsed SensorRecord. Never throws, so a poison message cannot stop the job. */
public class SensorDeserializer implements KafkaRecordDeserializationSchema<SensorRecord> {
  private static final long serialVersionUID = 1L;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SensorRecord> out) {
    SensorRecord r;
    try {
      r = SensorParser.parse(record.value());
    } catch (RuntimeException e) {
      String value = record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
      r = SensorRecord.malformed("parser failure: " + e, value);
    }
    if (r.valid) r.raw = null;
    r.topic = record.topic();
    r.partition = record.partition();
    r.offset = record.offset();
    r.key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    out.collect(r);
  }

  @Override
  public TypeInformation<SensorRecord> getProducedType() {
    return TypeInformation.of(SensorRecord.class);
  }
}
