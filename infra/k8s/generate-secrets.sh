#!/usr/bin/env bash
# Writes infra/manifests/base/secrets/<name>.env (git-ignored, mode 600) with random values for every key in
# <name>.env.example, for `kubectl apply -k`. Existing files are kept. `dp up --target k8s` does not need
# this: its driver creates missing Secrets in the cluster itself.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../manifests/base/secrets" && pwd)"
umask 077
for example in "$dir"/*.env.example; do
  out="${example%.example}"
  if [ -e "$out" ]; then
    echo "kept    ${out#"$PWD"/}"
    continue
  fi
  while IFS= read -r line; do
    key="${line%%=*}"
    [ -z "$key" ] && continue
    case "$key" in \#*) continue ;; esac
    case "$key" in
      accessKey | username) value="dp$(openssl rand -hex 9)" ;;
      *) value="$(openssl rand -base64 30 | tr '+/' '-_' | tr -d '=\n')" ;;
    esac
    printf '%s=%s\n' "$key" "$value"
  done <"$example" >"$out"
  echo "wrote   ${out#"$PWD"/}"
done
