#!/bin/sh
# fetch.sh URL OUT: downloads a Maven Central file and checks it against the .sha1 published beside it.
set -eu
curl -fsSL --retry 3 -o "$2" "$1"
expected=$(curl -fsSL --retry 3 "$1.sha1" | cut -c1-40)
actual=$(sha1sum "$2" | cut -c1-40)
if [ "$expected" != "$actual" ]; then
  echo "checksum mismatch for $1: expected $expected, got $actual" >&2
  exit 1
fi
