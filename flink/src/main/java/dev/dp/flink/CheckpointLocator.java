package dev.dp.flink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the newest complete checkpoint under a checkpoint directory laid out by Flink as
 * <dir>/<job-id>/chk-<n>/_metadata (a chk dir without _metadata is an unfinished checkpoint and is skipped).
 */
public final class CheckpointLocator {
  private CheckpointLocator() {}

  public static Optional<Path> latest(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return Optional.empty();
    try (Stream<Path> jobs = Files.list(dir)) {
      return jobs.filter(Files::isDirectory)
          .flatMap(CheckpointLocator::checkpointsOf)
          .filter(chk -> Files.isRegularFile(chk.resolve("_metadata")))
          .max(Comparator.comparingLong(CheckpointLocator::modified)
              .thenComparingLong(CheckpointLocator::number));
    }
  }

  private static Stream<Path> checkpointsOf(Path jobDir) {
    try (Stream<Path> s = Files.list(jobDir)) {
      return s.filter(p -> p.getFileName().toString().matches("chk-\\d+")).toList().stream();
    } catch (IOException e) {
      return Stream.empty();
    }
  }

  private static long modified(Path chk) {
    try {
      return Files.getLastModifiedTime(chk.resolve("_metadata")).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  static long number(Path chk) {
    return Long.parseLong(chk.getFileName().toString().substring("chk-".length()));
  }
}
