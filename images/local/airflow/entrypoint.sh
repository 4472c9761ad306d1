#!/bin/sh
# As the upstream image's entrypoint for the Helm chart's commands: a program (bash, python, airflow, a path)
# runs as given; anything else is an airflow sub-command (`scheduler`, `api-server`, ...).
set -eu
case "${1:-}" in
  "") exec airflow version ;;
  bash | sh | python | python3 | airflow | /*) exec "$@" ;;
  *) exec airflow "$@" ;;
esac
