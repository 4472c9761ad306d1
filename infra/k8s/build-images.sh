#!/usr/bin/env bash
# Builds the lakehouse images (images/*/Dockerfile) and, for a kind cluster, loads them into it.
#   infra/k8s/build-images.sh                 # build with docker
#   KIND_CLUSTER=lakehouse infra/k8s/build-images.sh --kind   # build, then `kind load` each image
#   REGISTRY=registry.example.com infra/k8s/build-images.sh --push
# Tags match infra/manifests (lakehouse/<name>:<tag>); the production overlay rewrites the registry.
# Without Docker or a registry (the local cluster): `npx dp images build --import` builds the same images with
# buildah on local bases (infra/images, images/local) and imports them into the cluster's containerd.
set -euo pipefail
cd "$(dirname "$0")/../.."

DOCKER=${DOCKER:-docker}
VERSION=${VERSION:-0.1.0}
TRINO_VERSION=476
REGISTRY=${REGISTRY:-}
KIND_CLUSTER=${KIND_CLUSTER:-lakehouse}

# name|tag|dockerfile|context
IMAGES=(
  "worker|${VERSION}|images/worker/Dockerfile|."
  "sensor-producer|${VERSION}|images/sensor-producer/Dockerfile|."
  "trino|${TRINO_VERSION}-${VERSION}|images/trino/Dockerfile|images/trino"
  "flink-job|${VERSION}|images/flink-job/Dockerfile|."
  "airflow|${VERSION}|images/airflow/Dockerfile|."
  "jupyter|${VERSION}|images/jupyter/Dockerfile|images/jupyter"
)

load_kind=false
push=false
for arg in "$@"; do
  case "$arg" in
    --kind) load_kind=true ;;
    --push) push=true ;;
    *) echo "unknown option $arg (use --kind or --push)" >&2; exit 2 ;;
  esac
done

for entry in "${IMAGES[@]}"; do
  IFS='|' read -r name tag dockerfile context <<<"$entry"
  image="lakehouse/${name}:${tag}"
  echo "==> ${image}"
  "$DOCKER" build -f "$dockerfile" -t "$image" "$context"
  if $push; then
    [ -n "$REGISTRY" ] || { echo "--push needs REGISTRY" >&2; exit 2; }
    "$DOCKER" tag "$image" "${REGISTRY}/${image}"
    "$DOCKER" push "${REGISTRY}/${image}"
  fi
  if $load_kind; then
    kind load docker-image "$image" --name "$KIND_CLUSTER"
  fi
done
