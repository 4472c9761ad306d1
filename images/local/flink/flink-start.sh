#!/bin/sh
# jobmanager: the application-mode JobManager, which runs dev.dp.flink.SensorJob (its DP_STREAM_* settings
# from the environment). taskmanager: a TaskManager, its JVM sized from the configuration the way Flink's own
# taskmanager.sh does it (BashJavaUtils). check: prove the entrypoint's classes load (the image's smoke test).
set -eu
conf=${FLINK_CONF_DIR:-/opt/flink/conf}
cp=/opt/flink/lib/sensor-job.jar
# Flink 1.20 on Java 17 needs these opened (its own distribution sets the same in env.java.opts.all).
opens=""
for p in java.lang java.lang.reflect java.util java.util.concurrent java.util.concurrent.atomic java.io java.net \
  java.nio sun.nio.ch java.time java.text java.math java.security sun.net.util sun.security.action; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
logging="-Dlog4j2.configurationFile=$conf/log4j2.properties"
case "${1:-jobmanager}" in
  jobmanager)
    # shellcheck disable=SC2086
    exec java ${FLINK_JM_HEAP:--Xmx512m} -XX:+UseSerialGC $opens $logging -cp "$cp" \
      org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint \
      --configDir "$conf" --job-classname dev.dp.flink.SensorJob
    ;;
  taskmanager)
    params=$(java -Xmx64m $logging -cp "$cp" org.apache.flink.runtime.util.bash.BashJavaUtils GET_TM_RESOURCE_PARAMS \
      --configDir "$conf" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p')
    jvm=$(echo "$params" | sed -n 1p)
    dynamic=$(echo "$params" | sed -n 2p)
    [ -n "$jvm" ] || { echo "flink-start: could not size the TaskManager from $conf/config.yaml" >&2; exit 1; }
    # shellcheck disable=SC2086
    exec java $jvm -XX:+UseSerialGC $opens $logging -cp "$cp" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
      --configDir "$conf" $dynamic ${POD_IP:+-Dtaskmanager.host=$POD_IP}
    ;;
  check)
    dir=$(mktemp -d)
    echo 'taskmanager.memory.process.size: 1g' >"$dir/config.yaml"
    exec java -Xmx64m -cp "$cp" org.apache.flink.runtime.util.bash.BashJavaUtils GET_TM_RESOURCE_PARAMS --configDir "$dir"
    ;;
  *)
    echo "usage: flink-start.sh jobmanager|taskmanager|check" >&2
    exit 2
    ;;
esac
