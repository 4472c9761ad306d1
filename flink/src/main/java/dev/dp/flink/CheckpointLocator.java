package dev.dp.flink;

import java.io.IOException;
import java.util.Optional;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Finds the newest complete checkpoint under a checkpoint directory laid out by Flink as
 * <dir>/<job-id>/chk-<n>/_metadata (a chk dir without _metadata is an unfinished checkpoint and is skipped).
 * Through Flink's file systems, so the directory may be local or on the object store (s3://, with the
 * S3 file system plugin the cluster's JobManager loads).
 */
public final class CheckpointLocator {
  private CheckpointLocator() {}

  /** A local directory (the MiniCluster's). */
  public static Optional<java.nio.file.Path> latest(java.nio.file.Path dir) throws IOException {
    return latest(dir.toAbsolutePath().toUri().toString()).map(uri -> java.nio.file.Path.of(java.net.URI.create(uri)));
  }

  /** Any directory Flink can read, as a URI; the checkpoint's URI, without a trailing slash. */
  public static Optional<String> latest(String dirUri) throws IOException {
    Path dir = new Path(dirUri);
    FileSystem fs = dir.getFileSystem();
    if (!fs.exists(dir)) return Optional.empty();
    Path best = null;
    long bestModified = Long.MIN_VALUE;
    long bestNumber = Long.MIN_VALUE;
    for (FileStatus job : list(fs, dir)) {
      if (!job.isDir()) continue;
      for (FileStatus chk : list(fs, job.getPath())) {
        String name = chk.getPath().getName();
        if (!chk.isDir() || !name.matches("chk-\\d+")) continue;
        Path metadata = new Path(chk.getPath(), "_metadata");
        if (!fs.exists(metadata)) continue;
        long modified = fs.getFileStatus(metadata).getModificationTime();
        long number = Long.parseLong(name.substring("chk-".length()));
        if (modified > bestModified || (modified == bestModified && number > bestNumber)) {
          best = chk.getPath();
          bestModified = modified;
          bestNumber = number;
        }
      }
    }
    return Optional.ofNullable(best).map(p -> p.toUri().toString().replaceAll("/+$", ""));
  }

  private static FileStatus[] list(FileSystem fs, Path dir) throws IOException {
    FileStatus[] entries = fs.listStatus(dir);
    return entries == null ? new FileStatus[0] : entries;
  }
}
