#!/usr/bin/env bash
# What metrics cost: produce throughput with metrics.enabled=true and false (alternating
# runs), and how long a /metrics scrape of a 1,000-partition broker takes and how many series
# it returns at each metrics.partition.level. Prints Markdown.
#   BENCH_RECORDS (default 5000000), BENCH_ROUNDS (default 3)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${TERN_BIN_DIR:-$root/build/bin}"
records="${BENCH_RECORDS:-5000000}"
rounds="${BENCH_ROUNDS:-3}"
work="$(mktemp -d /tmp/tern-bench-metrics.XXXXXX)"
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_broker() {  # data-dir overrides...
  local data="$1"; shift
  "$bin/tern-broker" --override log.dirs="$data" --override listeners=PLAINTEXT://127.0.0.1:0 \
    --override admin.listeners=http://127.0.0.1:0 "$@" > "$work/broker.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 500); do grep -q "tern-broker ready" "$work/broker.log" && break; sleep 0.01; done
  port=$(grep -oP 'kafka=127\.0\.0\.1:\K[0-9]+' "$work/broker.log")
  admin=$(grep -oP 'admin=http://127\.0\.0\.1:\K[0-9]+' "$work/broker.log")
}
stop_broker() { kill -TERM "$broker_pid"; wait "$broker_pid" || true; broker_pid=""; }

produce_rate() {
  "$bin/tern" perf produce --bootstrap-server "127.0.0.1:$port" --topic m --record-size 100 \
    --num-records "$records" --throughput -1 --reporting-interval 0 \
    --producer-props acks=1 linger.ms=5 batch.size=1000000 | grep -oP '^\d+ records sent, \K[0-9.]+'
}

on=(); off=()
for r in $(seq 1 "$rounds"); do
  for setting in true false; do
    rm -rf "$work/d"
    start_broker "$work/d" --override metrics.enabled=$setting
    rate=$(produce_rate)
    stop_broker
    if [ $setting = true ]; then on+=("$rate"); else off+=("$rate"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_on=$(median "${on[@]}"); m_off=$(median "${off[@]}")
echo "## Metrics cost, $(date -u +%Y-%m-%dT%H:%MZ), commit \`$(git -C "$root" rev-parse --short HEAD)\`"
echo
echo "- produce 100 B, acks=1: metrics on ${on[*]} records/s (median $m_on); off ${off[*]} (median $m_off); cost $(awk -v a="$m_on" -v b="$m_off" 'BEGIN {printf "%.1f%%", (b - a) / b * 100}')"

for level in topic partition; do
  rm -rf "$work/wide"
  start_broker "$work/wide" --override metrics.partition.level=$level
  "$bin/tern" topics --create --bootstrap-server "127.0.0.1:$port" --topic wide --partitions 1000 > /dev/null
  "$bin/tern" perf produce --bootstrap-server "127.0.0.1:$port" --topic wide --record-size 100 \
    --num-records 200000 --throughput -1 --reporting-interval 0 \
    --producer-props acks=1 linger.ms=5 partitioner=random > /dev/null
  timeout 30 "$bin/tern" console-consumer --bootstrap-server "127.0.0.1:$port" --topic wide \
    --group scraped --from-beginning --max-messages 1000 > /dev/null 2>&1 || true
  times=()
  for _ in $(seq 1 10); do
    times+=("$(curl -s -o "$work/scrape.txt" -w '%{time_total}' "http://127.0.0.1:$admin/metrics")")
  done
  series=$(grep -cv '^#' "$work/scrape.txt")
  ms=$(median "${times[@]}" | awk '{printf "%.1f", $1 * 1000}')
  echo "- /metrics of a broker with 1,000 partitions and a group, metrics.partition.level=$level: median scrape ${ms} ms over 10, $series series"
  stop_broker
done
