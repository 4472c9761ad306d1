#!/bin/sh
# Starts one KRaft node from /etc/kafka/server.properties plus the advertised listeners of this pod
# (KAFKA_ADVERTISED_LISTENERS). The data volume is formatted once, with a cluster id kept beside the data,
# so a restarted pod keeps every topic and offset.
set -eu
data=${KAFKA_DATA_DIR:-/var/lib/kafka}
conf=/tmp/server.properties
cp /etc/kafka/server.properties "$conf"
printf '\nlog.dirs=%s/logs\n' "$data" >>"$conf"
if [ -n "${KAFKA_ADVERTISED_LISTENERS:-}" ]; then
  printf 'advertised.listeners=%s\n' "$KAFKA_ADVERTISED_LISTENERS" >>"$conf"
fi
if [ ! -f "$data/logs/meta.properties" ]; then
  if [ ! -s "$data/cluster-id" ]; then
    java -cp '/opt/kafka/lib/*' kafka.tools.StorageTool random-uuid >"$data/cluster-id"
  fi
  java -Xmx256m -cp '/opt/kafka/lib/*' -Dlog4j2.configurationFile=/etc/kafka/log4j2.properties \
    kafka.tools.StorageTool format --cluster-id "$(cat "$data/cluster-id")" --config "$conf" --standalone
fi
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} -XX:+UseSerialGC -XX:MaxDirectMemorySize=256m -Djava.awt.headless=true \
  -cp '/opt/kafka/lib/*' -Dlog4j2.configurationFile=/etc/kafka/log4j2.properties kafka.Kafka "$conf"
