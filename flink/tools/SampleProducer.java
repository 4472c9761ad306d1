// Dev tool for the end-to-end check (not part of the job): run with the shaded jar on the class path, e.g.
//   java -cp flink/target/sensor-job.jar flink/tools/SampleProducer.java describe
//   java -cp flink/target/sensor-job.jar flink/tools/SampleProducer.java produce 2026-11-25T21:00:00Z 4 5 6
//   java -cp flink/target/sensor-job.jar flink/tools/SampleProducer.java finish 2026-11-25T21:00:00Z 4 5   (later)
//   (base event time, minutes of event time, sensors, readings per sensor per minute), plus malformed events
//   and one event far behind the watermark (late).
//   java -cp flink/target/sensor-job.jar flink/tools/SampleProducer.java tail sensor-topic-dlq
import java.time.Duration;
import java.time.Instant;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class SampleProducer {
  static String PREFIX = System.getenv().getOrDefault("SENSOR_PREFIX", "sensor-");
  static String bootstrap = System.getenv().getOrDefault("KAFKA_BOOTSTRAP", "127.0.0.1:9092");

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "describe" -> describe();
      case "produce" -> produce(Instant.parse(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
      case "finish" -> finish(Instant.parse(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      case "tail" -> tail(args[1]);
      case "live" -> live(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  static void describe() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      Set<String> names = admin.listTopics().names().get();
      System.out.println("topics: " + names);
      for (TopicDescription d : admin.describeTopics(names).allTopicNames().get().values()) {
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        d.partitions().forEach(p -> req.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
        long total = 0;
        for (var e : admin.listOffsets(req).all().get().values()) total += e.offset();
        System.out.println(d.name() + ": " + d.partitions().size() + " partitions, end offsets sum " + total);
      }
      for (var g : admin.listConsumerGroups().all().get()) {
        System.out.println("group " + g.groupId() + ": " + admin.listConsumerGroupOffsets(g.groupId()).partitionsToOffsetAndMetadata().get());
      }
    }
  }

  /** Acknowledged by every replica, string keys and JSON values: how the sample's readings are sent. */
  static Properties producerConfig() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    return p;
  }

  static void produce(Instant base, int minutes, int sensors, int perMinute) throws Exception {
    Properties p = producerConfig();
    Random rnd = new Random(42);
    int sent = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int m = 0; m < minutes; m++) {
        for (int i = 0; i < perMinute; i++) {
          for (int s = 1; s <= sensors; s++) {
            String id = String.format(PREFIX + "%03d", s);
            long ms = m * 60_000L + i * (60_000L / perMinute) + rnd.nextInt(1000);
            double t = Math.round((15 + s + rnd.nextGaussian()) * 100) / 100.0;
            String json = "{\"sensor_id\": \"" + id + "\", \"temperature\": " + t + ", \"event_time\": \"" + base.plusMillis(ms) + "\"}";
            producer.send(new ProducerRecord<>("sensor-topic", id, json));
            sent++;
          }
        }
        if (m == 1) {
          producer.send(new ProducerRecord<>("sensor-topic", "bad", "{not json"));
          producer.send(new ProducerRecord<>("sensor-topic", "sensor-001", "{\"sensor_id\": \"sensor-001\", \"event_time\": \"" + base + "\"}"));
          producer.send(new ProducerRecord<>("sensor-topic", "sensor-002", "{\"sensor_id\": \"sensor-002\", \"temperature\": \"warm\", \"event_time\": \"" + base + "\"}"));
          sent += 3;
        }
      }
      producer.flush();
    }
    System.out.println("sent " + sent + " records, event time " + base + " .. " + base.plusSeconds(minutes * 60L));
  }

  /** Run some time after produce (once the watermark has passed): one late event, then events closing the last window. */
  static void finish(Instant base, int minutes, int sensors) throws Exception {
    Properties p = producerConfig();
    int sent = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      // Far behind the watermark by now: beyond the allowed lateness of its window.
      producer.send(new ProducerRecord<>("sensor-topic", "sensor-001", "{\"sensor_id\": \"sensor-001\", \"temperature\": 99.9, \"event_time\": \"" + base.plusSeconds(5) + "\"}"));
      // Moves the watermark past the last window so it closes.
      for (int s = 1; s <= sensors; s++) {
        String id = String.format(PREFIX + "%03d", s);
        producer.send(new ProducerRecord<>("sensor-topic", id, "{\"sensor_id\": \"" + id + "\", \"temperature\": 20.0, \"event_time\": \"" + base.plusSeconds(minutes * 60L + 30) + "\"}"));
      }
      sent += 1 + sensors;
      producer.flush();
    }
    System.out.println("sent " + sent + " records (1 late, " + sensors + " closing at " + base.plusSeconds(minutes * 60L + 30) + ")");
  }

  /** Real-time events: `sensors` sensors, `perSecond` readings each per second, for `seconds`; prints the total sent. */
  static void live(int sensors, int perSecond, int seconds) throws Exception {
    Properties p = producerConfig();
    Random rnd = new Random(7);
    long sent = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      long end = System.currentTimeMillis() + seconds * 1000L;
      while (System.currentTimeMillis() < end) {
        long tick = System.currentTimeMillis();
        for (int i = 0; i < perSecond; i++) {
          for (int s = 1; s <= sensors; s++) {
            String id = String.format(PREFIX + "%03d", s);
            double t = Math.round((15 + s + rnd.nextGaussian()) * 100) / 100.0;
            producer.send(new ProducerRecord<>("sensor-topic", id, "{\"sensor_id\": \"" + id + "\", \"temperature\": " + t
                + ", \"event_time\": \"" + Instant.now() + "\"}")).get();
            sent++;
          }
        }
        if (sent % (sensors * perSecond * 10L) == 0) System.out.println("sent " + sent + " at " + Instant.now());
        Thread.sleep(Math.max(0, 1000 - (System.currentTimeMillis() - tick)));
      }
    }
    System.out.println("live: sent " + sent + " acknowledged records, last event time " + Instant.now());
  }

  static void tail(String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "dp-tail-" + UUID.randomUUID());
    p.put("auto.offset.reset", "earliest");
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      c.subscribe(List.of(topic));
      long until = System.currentTimeMillis() + 8000;
      while (System.currentTimeMillis() < until) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          System.out.println(r.partition() + "@" + r.offset() + " " + r.value());
        }
      }
    }
  }
}
