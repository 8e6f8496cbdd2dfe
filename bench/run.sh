#!/usr/bin/env bash
# Single-node benchmarks with `tern perf` against a fresh broker on this machine.
# Prints a Markdown report (also written to bench/last-run.md). Each measurement starts its
# own broker on free ports with data in a temporary folder, and stops it by PID.
#   BENCH_RECORDS (default 5000000)   100-byte records per produce/consume run
#   BENCH_RESTART_GB (default 10)     log size for the restart measurement (0 skips it)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${TERN_BIN_DIR:-$root/build/bin}"
records="${BENCH_RECORDS:-5000000}"
restart_gb="${BENCH_RESTART_GB:-10}"
work="$(mktemp -d /tmp/tern-bench.XXXXXX)"
report="$root/bench/last-run.md"
broker_pid=""

cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start_broker DATA_DIR [overrides...]: sets broker_pid, port, admin_port, ready_ms.
start_broker() {
  local data="$1"; shift
  local log="$work/broker.log"
  local t0; t0=$(date +%s%N)
  "$bin/tern-broker" --override log.dirs="$data" --override listeners=PLAINTEXT://127.0.0.1:0 \
    --override admin.listeners=http://127.0.0.1:0 "$@" > "$log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 600); do
    if grep -q "tern-broker ready" "$log"; then break; fi
    sleep 0.01
  done
  grep -q "tern-broker ready" "$log" || { cat "$log"; exit 1; }
  ready_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  port=$(grep -oP 'kafka=127\.0\.0\.1:\K[0-9]+' "$log" | head -1)
}

stop_broker() {
  kill -TERM "$broker_pid"; wait "$broker_pid" || true; broker_pid=""
}

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$broker_pid/status"; }

perf_produce() {  # topic size count acks throughput
  "$bin/tern" perf produce --bootstrap-server "127.0.0.1:$port" --topic "$1" --record-size "$2" \
    --num-records "$3" --throughput "$5" --reporting-interval 0 \
    --producer-props acks="$4" linger.ms=5 batch.size=1000000 | tail -1
}

perf_consume() {  # topic count
  "$bin/tern" perf consume --bootstrap-server "127.0.0.1:$port" --topic "$1" --messages "$2" \
    --consumer-props fetch.max.bytes=52428800 max.partition.fetch.bytes=10485760 \
    queued.max.messages.kbytes=1048576 | tail -1
}

create() {
  "$bin/tern" topics --create --bootstrap-server "127.0.0.1:$port" --topic "$1" --partitions "${2:-1}" > /dev/null
}

# Not a { ...; } | tee block: that would run in a subshell whose started processes the
# EXIT trap cannot see.
exec > >(tee "$report")
echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo
echo "Commit \`$(git -C "$root" rev-parse --short HEAD)\`; client and broker on one host; one partition unless noted."
echo

start_broker "$work/data1"
echo "- idle broker RSS: $(rss_mb) MB"
create small
echo "- produce 100 B, acks=1, linger.ms=5: $(perf_produce small 100 "$records" 1 -1)"
echo "- consume 100 B: $(perf_consume small "$records")"
create small-all
echo "- produce 100 B, acks=-1, linger.ms=5: $(perf_produce small-all 100 "$records" -1 -1)"
create large
large_count=$(( records / 5 ))
echo "- produce 1 KiB, acks=1: $(perf_produce large 1024 "$large_count" 1 -1)"
echo "- consume 1 KiB: $(perf_consume large "$large_count")"
create paced
max_rate=$(perf_produce paced 100 "$records" 1 -1 | grep -oP '^\d+ records sent, \K[0-9.]+' | cut -d. -f1)
half=$(( max_rate / 2 ))
echo "- produce 100 B at half the maximum ($half records/s): $(perf_produce paced 100 "$records" 1 "$half")"
create wide 1000
"$bin/tern" perf produce --bootstrap-server "127.0.0.1:$port" --topic wide --record-size 100 \
  --num-records 1000000 --throughput -1 --reporting-interval 0 \
  --producer-props acks=1 linger.ms=5 > /dev/null
echo "- RSS with 1,000 partitions holding 1M records: $(rss_mb) MB"
stop_broker

if [ "$restart_gb" -gt 0 ]; then
  start_broker "$work/data2" --override log.segment.bytes=1073741824
  create restart 10
  n=$(( restart_gb * 1024 * 1024 ))  # 1 KiB records
  perf_produce restart 1024 "$n" 1 -1 > /dev/null
  size=$(du -sh "$work/data2" | cut -f1)
  stop_broker
  sync
  start_broker "$work/data2"
  echo "- clean restart with $size of log: ready in ${ready_ms} ms (process start to ready line)"
  kill -9 "$broker_pid"; wait "$broker_pid" 2>/dev/null || true; broker_pid=""
  start_broker "$work/data2"
  echo "- restart after kill -9 with $size of log (active segments CRC-scanned): ready in ${ready_ms} ms"
  stop_broker
fi
