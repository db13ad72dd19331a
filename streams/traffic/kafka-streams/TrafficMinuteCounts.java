import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * The traffic bench's Kafka Streams comparison: a part of the traffic topology's work in
 * Kafka Streams' DSL, exactly_once_v2. Page views (JSON, keyed by business id) are parsed, timed
 * by their event_time, counted per business per minute of event time with the same grace, and
 * each closed minute's count goes to an output topic. Surge ranking and Cassandra writes, which
 * the processor also does, are left out: the comparison favours Kafka Streams.
 *
 * Usage: java -cp <jars> TrafficMinuteCounts.java <brokers> <application id> <source topic>
 *        <output topic> <grace seconds> <stream threads> <state directory> [<setting>=<value> ...]
 * where each setting is a Kafka Streams or client setting (commit.interval.ms=1000, say).
 */
public class TrafficMinuteCounts {
  /** A view's event time; unparseable records become null and are skipped, as the extractor says. */
  static final class EventTimeDeserializer implements Deserializer<Long> {
    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Long deserialize(String topic, byte[] bytes) {
      try {
        JsonNode view = json.readTree(bytes);
        if (!view.path("business_id").isTextual()) return null;
        return Instant.parse(view.path("event_time").asText()).toEpochMilli();
      } catch (Exception error) {
        return null;
      }
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 7) {
      System.err.println(
          "usage: TrafficMinuteCounts <brokers> <application id> <source topic> <output topic> <grace seconds> <stream threads> <state directory> [<setting>=<value> ...]");
      System.exit(2);
    }
    Properties settings = new Properties();
    settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    settings.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(args[5]));
    settings.put(StreamsConfig.STATE_DIR_CONFIG, args[6]);
    settings.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class);
    for (int at = 7; at < args.length; at++) {
      String[] setting = args[at].split("=", 2);
      if (setting.length != 2) {
        System.err.println("not a <setting>=<value>: " + args[at]);
        System.exit(2);
      }
      settings.put(setting[0], setting[1]);
    }

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(
            args[2],
            Consumed.with(Serdes.String(), Serdes.serdeFrom(Serdes.Long().serializer(), new EventTimeDeserializer()))
                .withTimestampExtractor((record, previous) -> record.value() == null ? -1 : (Long) record.value()))
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofSeconds(Long.parseLong(args[4]))))
        .count(Materialized.as("minute-counts"))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream((minute, views) -> minute.key() + "@" + minute.window().start())
        .to(args[3], Produced.with(Serdes.String(), Serdes.Long()));

    KafkaStreams streams = new KafkaStreams(builder.build(), settings);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(10));
      stopped.countDown();
    }));
    streams.setUncaughtExceptionHandler(error -> {
      System.err.println("kafka streams failed: " + error);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.start();
    stopped.await();
  }
}
