#!/usr/bin/env bash
# tern on a real Kubernetes cluster on this machine (kind): build the images from
# docker/*.Dockerfile, load them into a new kind cluster, install the Helm chart, apply the
# samples (3 brokers, 3 etcd members, the quickstart-events topic), wait for Ready, produce and
# consume through the bootstrap Service with the broker image's `tern` command line as a Job,
# run `helm test`, and delete the cluster (unless --keep).
#
#   e2e-tests/kind/run.sh [--keep] [--reuse] [--skip-build] [--name NAME] [--timeout SECONDS]
#
# Needs docker (a running daemon), kind, kubectl and helm. See e2e-tests/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: e2e-tests/kind/run.sh [options]
  --keep            keep the kind cluster afterwards (default: delete it, also on failure)
  --reuse           use an existing kind cluster of that name instead of failing
  --skip-build      do not build the images (they must exist locally already)
  --name NAME       kind cluster name (default: tern-e2e)
  --timeout SECONDS how long to wait for the Cluster to be Ready (default: 600)
  -h, --help        this text
EOF
}

KEEP=0
REUSE=0
BUILD=1
NAME=tern-e2e
READY_TIMEOUT=600
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --reuse) REUSE=1 ;;
    --skip-build) BUILD=0 ;;
    --name) NAME="${2:?--name needs a value}"; shift ;;
    --timeout) READY_TIMEOUT="${2:?--timeout needs a value}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONTEXT="kind-${NAME}"
RELEASE=tern
OPERATOR_NS=tern-system
CLUSTER_NS=default
CLUSTER=tern
TOPIC=quickstart-events
MESSAGES=100

log() { printf '\n[%s] === %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '\n[%s] FAILED: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (needed: docker, kind, kubectl, helm)"
done
docker info >/dev/null 2>&1 || die "cannot reach the Docker daemon (is it running, and may this user use it?)"

# The images: the broker image under the name the sample Cluster asks for (so the sample runs
# unchanged), the operator image under the chart's default repository and the same tag.
SAMPLE="${REPO}/manifests/samples/cluster.yaml"
BROKER_IMAGE="$(awk '$1 == "image:" { print $2; exit }' "$SAMPLE")"
[ -n "$BROKER_IMAGE" ] || die "no spec.image in $SAMPLE"
TAG="${BROKER_IMAGE##*:}"
BROKER_REPO="${BROKER_IMAGE%:*}"
OPERATOR_REPO="ghcr.io/tern-dev/tern-operator"
OPERATOR_IMAGE="${OPERATOR_REPO}:${TAG}"
ETCD_IMAGE="$(sed -n 's/.*etcd_image = "\([^"]*\)".*/\1/p' "${REPO}/operator/model/operator_defaults.h")"
[ -n "$ETCD_IMAGE" ] || die "cannot find the default etcd image in operator/model/operator_defaults.h"

kube() { kubectl --context "$CONTEXT" "$@"; }

# Everything worth reading when a step fails.
diagnostics() {
  log "diagnostics"
  kube get nodes -o wide || true
  kube get clusters.tern.dev,topics.tern.dev -A -o wide || true
  kube get pods,statefulsets,services,pvc -A -o wide || true
  kube describe clusters.tern.dev "$CLUSTER" -n "$CLUSTER_NS" || true
  kube get events -n "$CLUSTER_NS" --sort-by=.lastTimestamp | tail -n 60 || true
  kube logs -n "$OPERATOR_NS" -l app.kubernetes.io/component=operator --tail=200 --prefix || true
  for pod in "${CLUSTER}-0" "${CLUSTER}-etcd-0"; do
    kube logs -n "$CLUSTER_NS" "$pod" --tail=80 || true
  done
}

CREATED=0
finish() {
  local rc=$?
  if [ "$rc" -ne 0 ] && { [ "$CREATED" -eq 1 ] || [ "$REUSE" -eq 1 ]; }; then diagnostics; fi
  if [ "$CREATED" -eq 1 ] && [ "$KEEP" -eq 0 ]; then
    log "deleting kind cluster ${NAME} (use --keep to keep it)"
    kind delete cluster --name "$NAME" || true
  elif kind get clusters 2>/dev/null | grep -qx "$NAME"; then
    echo "kind cluster ${NAME} kept: kubectl --context ${CONTEXT} get tern -A"
  fi
  if [ "$rc" -eq 0 ]; then log "PASSED"; else log "FAILED (exit ${rc})"; fi
  exit "$rc"
}
trap finish EXIT

if [ "$BUILD" -eq 1 ]; then
  log "building ${BROKER_IMAGE} and ${OPERATOR_IMAGE} from docker/*.Dockerfile"
  docker build -f "${REPO}/docker/broker.Dockerfile" -t "$BROKER_IMAGE" "$REPO"
  docker build -f "${REPO}/docker/operator.Dockerfile" -t "$OPERATOR_IMAGE" "$REPO"
fi
for image in "$BROKER_IMAGE" "$OPERATOR_IMAGE"; do
  docker image inspect "$image" >/dev/null 2>&1 || die "image $image does not exist (run without --skip-build)"
done
log "pulling ${ETCD_IMAGE} (the managed etcd)"
docker pull "$ETCD_IMAGE"

if kind get clusters 2>/dev/null | grep -qx "$NAME"; then
  [ "$REUSE" -eq 1 ] || die "kind cluster ${NAME} exists already; pass --reuse to use it, or: kind delete cluster --name ${NAME}"
  log "reusing kind cluster ${NAME}"
else
  log "creating kind cluster ${NAME}"
  CREATED=1
  kind create cluster --name "$NAME" --wait 180s
fi

log "loading the images into the kind nodes"
kind load docker-image --name "$NAME" "$BROKER_IMAGE" "$OPERATOR_IMAGE" "$ETCD_IMAGE"

log "helm install ${RELEASE} charts/tern (namespace ${OPERATOR_NS})"
helm upgrade --install "$RELEASE" "${REPO}/charts/tern" \
  --kube-context "$CONTEXT" --namespace "$OPERATOR_NS" --create-namespace \
  --set image.repository="$OPERATOR_REPO" --set image.tag="$TAG" \
  --set image.pullPolicy=IfNotPresent \
  --set brokerImage.repository="$BROKER_REPO" --set brokerImage.tag="$TAG" \
  --set brokerImage.pullPolicy=IfNotPresent \
  --wait --timeout 5m
kube wait --for=condition=Established crd/clusters.tern.dev crd/topics.tern.dev --timeout=60s
kube wait --for=condition=Available deployment --all -n "$OPERATOR_NS" --timeout=180s

log "applying manifests/samples"
start=$(date +%s)
kube apply -f "${REPO}/manifests/samples/"
kube wait --for=condition=Ready "clusters.tern.dev/${CLUSTER}" -n "$CLUSTER_NS" --timeout="${READY_TIMEOUT}s" ||
  die "Cluster ${CLUSTER} not Ready within ${READY_TIMEOUT}s"
echo "Cluster ${CLUSTER} Ready after $(($(date +%s) - start)) s"
kube wait --for=condition=Ready "topics.tern.dev/${TOPIC}" -n "$CLUSTER_NS" --timeout=300s ||
  die "Topic ${TOPIC} not Ready within 300s"
kube get clusters.tern.dev,topics.tern.dev -n "$CLUSTER_NS"
kube get pods -n "$CLUSTER_NS" -o wide

log "produce and consume ${MESSAGES} messages through the bootstrap Service (a Job running the broker image's tern CLI)"
JOB="tern-e2e-produce-consume-$(date +%s)"
kube apply -n "$CLUSTER_NS" -f - <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: ${JOB}
  labels:
    app.kubernetes.io/name: tern-e2e
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 300
  ttlSecondsAfterFinished: 3600
  template:
    metadata:
      labels:
        app.kubernetes.io/name: tern-e2e
    spec:
      restartPolicy: Never
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: produce-consume
          image: ${BROKER_IMAGE}
          imagePullPolicy: IfNotPresent
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: ["ALL"]
          env:
            - name: BOOTSTRAP
              value: "${CLUSTER}-bootstrap.${CLUSTER_NS}.svc:9092"
            - name: TOPIC
              value: "${TOPIC}"
            - name: MESSAGES
              value: "${MESSAGES}"
            - name: RUN
              value: "${JOB}"
          command: ["/bin/sh", "-c"]
          # Kubernetes expands \$(NAME) in args: the script uses only \${NAME} and backquotes.
          args:
            - |
              set -eu
              cd /tmp
              tern topics --bootstrap-server "\${BOOTSTRAP}" --describe --topic "\${TOPIC}"
              seq 1 "\${MESSAGES}" | sed "s/^/\${RUN}-/" > sent
              tern console-producer --bootstrap-server "\${BOOTSTRAP}" --topic "\${TOPIC}" \\
                --request-required-acks all < sent
              # A new group reads the topic from the beginning; records of earlier runs may be
              # there too, so the check is that every line sent came back.
              tern console-consumer --bootstrap-server "\${BOOTSTRAP}" --topic "\${TOPIC}" \\
                --group "\${RUN}" --from-beginning --timeout-ms 20000 > received || true
              missing=\`grep -F -x -v -f received sent | wc -l\`
              echo "sent \${MESSAGES}, received \`wc -l < received\` lines, missing \${missing}"
              [ "\${missing}" -eq 0 ] || { echo "FAILED: messages missing" >&2; exit 1; }
              tern consumer-groups --bootstrap-server "\${BOOTSTRAP}" --describe --group "\${RUN}"
              echo OK
      terminationGracePeriodSeconds: 5
EOF
deadline=$(($(date +%s) + 330))
while :; do
  succeeded="$(kube get job "$JOB" -n "$CLUSTER_NS" -o jsonpath='{.status.succeeded}')"
  failed="$(kube get job "$JOB" -n "$CLUSTER_NS" -o jsonpath='{.status.failed}')"
  if [ "${succeeded:-0}" -ge 1 ]; then break; fi
  if [ "${failed:-0}" -ge 1 ]; then
    kube logs -n "$CLUSTER_NS" "job/${JOB}" || true
    die "Job ${JOB} failed"
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    kube logs -n "$CLUSTER_NS" "job/${JOB}" || true
    die "Job ${JOB} did not finish within 330s"
  fi
  sleep 3
done
kube logs -n "$CLUSTER_NS" "job/${JOB}"

log "helm test ${RELEASE}"
helm test "$RELEASE" --kube-context "$CONTEXT" --namespace "$OPERATOR_NS" --timeout 5m --logs

log "the broker metrics endpoint answers"
kube get --raw "/api/v1/namespaces/${CLUSTER_NS}/pods/${CLUSTER}-0:9644/proxy/metrics" |
  grep -E '^tern_brokers ' || die "tern_brokers not found in ${CLUSTER}-0's /metrics"
