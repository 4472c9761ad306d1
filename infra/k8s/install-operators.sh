#!/usr/bin/env bash
# Installs what the lakehouse manifests rely on, with the values in infra/helm-values: cert-manager, the
# Strimzi and Flink operators, KEDA, kube-prometheus-stack, Temporal (with PostgreSQL) and Airflow.
# Credentials are generated here into Secrets (never written to a file). Chart versions are pinned below.
set -euo pipefail
cd "$(dirname "$0")/../.."
V=infra/helm-values

CERT_MANAGER_VERSION=v1.19.1
STRIMZI_VERSION=0.48.0
FLINK_OPERATOR_VERSION=1.13.0
KEDA_VERSION=2.18.1
KPS_VERSION=79.5.0
TEMPORAL_CHART_VERSION=0.68.1
POSTGRESQL_CHART_VERSION=16.7.27
AIRFLOW_CHART_VERSION=1.18.0

rand() { openssl rand -base64 30 | tr '+/' '-_' | tr -d '=\n'; }

# secret NAMESPACE NAME key=value...: creates the Secret once; an existing one is kept.
secret() {
  local ns=$1 name=$2
  shift 2
  kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then return; fi
  local args=()
  for kv in "$@"; do args+=("--from-literal=$kv"); done
  kubectl -n "$ns" create secret generic "$name" "${args[@]}"
}

helm repo add jetstack https://charts.jetstack.io
helm repo add flink-operator-repo "https://downloads.apache.org/flink/flink-kubernetes-operator-${FLINK_OPERATOR_VERSION}/"
helm repo add kedacore https://kedacore.github.io/charts
helm repo add prometheus-community https://prometheus-community.github.io/helm-charts
helm repo add temporal https://go.temporal.io/helm-charts
helm repo add bitnami https://charts.bitnami.com/bitnami
helm repo add apache-airflow https://airflow.apache.org
helm repo update

helm upgrade --install cert-manager jetstack/cert-manager --version "$CERT_MANAGER_VERSION" \
  -n cert-manager --create-namespace -f $V/cert-manager.yaml --wait
helm upgrade --install strimzi oci://quay.io/strimzi-helm/strimzi-kafka-operator --version "$STRIMZI_VERSION" \
  -n strimzi --create-namespace -f $V/strimzi.yaml --wait
helm upgrade --install flink-operator flink-operator-repo/flink-kubernetes-operator --version "$FLINK_OPERATOR_VERSION" \
  -n flink --create-namespace -f $V/flink-operator.yaml --wait
secret monitoring grafana-admin admin-user=admin "admin-password=$(rand)"
helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack --version "$KPS_VERSION" \
  -n monitoring --create-namespace -f $V/kube-prometheus-stack.yaml --wait
helm upgrade --install keda kedacore/keda --version "$KEDA_VERSION" -n keda --create-namespace -f $V/keda.yaml --wait

secret temporal temporal-postgresql "password=$(rand)" "postgres-password=$(rand)"
helm upgrade --install temporal-postgresql bitnami/postgresql --version "$POSTGRESQL_CHART_VERSION" \
  -n temporal -f $V/temporal-postgresql.yaml --wait
helm upgrade --install temporal temporal/temporal --version "$TEMPORAL_CHART_VERSION" \
  -n temporal -f $V/temporal.yaml --wait --timeout 15m
# The search attributes the ELT workflows set (dp up registers them on the local dev server).
kubectl -n temporal exec deploy/temporal-admintools -- temporal operator search-attribute create \
  --namespace default --name YellowTripsMonth --type Keyword --name PipelineStage --type Keyword || true
# Only the platform's worker (and Temporal's own pods) may reach the frontend: it has no authentication.
kubectl apply -k infra/manifests/temporal-namespace

if [ "${WITH_AIRFLOW:-1}" = 1 ]; then
  pg=$(rand)
  secret airflow airflow-postgresql "postgres-password=$pg" "password=$pg"
  secret airflow airflow-metadata "connection=postgresql://postgres:${pg}@airflow-postgresql.airflow:5432/postgres?sslmode=disable"
  secret airflow airflow-fernet "fernet-key=$(openssl rand -base64 32 | tr '+/' '-_')"
  secret airflow airflow-webserver "webserver-secret-key=$(rand)"
  secret airflow airflow-api "jwt-secret=$(rand)"
  secret airflow airflow-connections \
    "AIRFLOW_CONN_TRINO_LAKEHOUSE=trino://airflow@trino.data-platform.svc.cluster.local:8080/lakehouse"
  helm upgrade --install airflow apache-airflow/airflow --version "$AIRFLOW_CHART_VERSION" \
    -n airflow -f $V/airflow.yaml --wait --timeout 15m
fi
