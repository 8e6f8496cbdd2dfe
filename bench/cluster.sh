#!/usr/bin/env bash
# Cluster-mode benchmarks: etcd and three tern-brokers on this machine (free ports, data in a
# temporary folder, all stopped by PID), topics with replication factor 3 and acks=-1,
# compared with a single-node acks=1 run of the same size made here first.
# Prints a Markdown report (also written to bench/last-cluster-run.md).
#   BENCH_RECORDS (default 5000000)   100-byte records per run (1 KiB runs use a fifth), the
#                                     sizes bench/run.sh uses for the single-node figures
# Every measured run starts after `sync`: otherwise the page cache's writeback of the GBs the
# previous runs wrote throttles this one's writes (the kernel pauses writers once dirty pages
# pass its limits), and the run measures the disk's backlog instead of the brokers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${TERN_BIN_DIR:-$root/build/bin}"
records="${BENCH_RECORDS:-5000000}"
work="$(mktemp -d /tmp/tern-cluster-bench.XXXXXX)"
report="$root/bench/last-cluster-run.md"
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_broker NAME [overrides...]: appends to pids, sets port.
start_broker() {
  local name="$1"; shift
  local log="$work/$name.log"
  "$bin/tern-broker" --override log.dirs="$work/$name" --override listeners=PLAINTEXT://127.0.0.1:0 \
    --override admin.listeners=http://127.0.0.1:0 "$@" > "$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do grep -q "tern-broker ready" "$log" && break; sleep 0.01; done
  grep -q "tern-broker ready" "$log" || { cat "$log"; exit 1; }
  port=$(grep -oP 'kafka=127\.0\.0\.1:\K[0-9]+' "$log" | head -1)
}

# measure BOOTSTRAP TOPIC PARTITIONS RF SIZE COUNT ACKS THROUGHPUT: creates the topic, runs the
# producer and deletes the topic again, so every run starts with the same memory at hand (the
# page cache of deleted files is free again; on this VM, pages the host has not yet given the
# guest cost several seconds of CPU per GB on first write, which would fall on later runs only).
measure() {
  "$bin/tern" topics --create --bootstrap-server "$1" --topic "$2" --partitions "$3" \
    --replication-factor "$4" --config min.insync.replicas=2 > /dev/null
  sync
  "$bin/tern" perf produce --bootstrap-server "$1" --topic "$2" --record-size "$5" \
    --num-records "$6" --throughput "$8" --reporting-interval 0 \
    --producer-props acks="$7" linger.ms=5 batch.size=1000000 | tail -1
  "$bin/tern" topics --delete --bootstrap-server "$1" --topic "$2" > /dev/null
  sleep 1
}

# Not a { ...; } | tee block: that would run in a subshell whose started processes the
# EXIT trap cannot see.
exec > >(tee "$report")
echo "## Cluster run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores"
echo
echo "Commit \`$(git -C "$root" rev-parse --short HEAD)\`; etcd, three brokers and the client on one host."
echo

start_broker single
single="127.0.0.1:$port"
base100=$(measure "$single" base 1 1 100 "$records" 1 -1)
echo "- single node, 100 B, acks=1: $base100"
base1k=$(measure "$single" base1k 1 1 1024 $((records / 5)) 1 -1)
echo "- single node, 1 KiB, acks=1: $base1k"
kill "${pids[0]}"; wait "${pids[0]}" || true; pids=()

etcd_client=$(free_port); etcd_peer=$(free_port)
etcd --name=bench --data-dir="$work/etcd" --listen-client-urls="http://127.0.0.1:$etcd_client" \
  --advertise-client-urls="http://127.0.0.1:$etcd_client" \
  --listen-peer-urls="http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer" \
  --initial-cluster="bench=http://127.0.0.1:$etcd_peer" > "$work/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$etcd_client/health" > /dev/null && break; sleep 0.05; done
bootstrap=""
for n in 1 2 3; do
  start_broker "b$n" --override node.id=$n --override metadata.store=etcd://127.0.0.1:$etcd_client
  bootstrap="${bootstrap:+$bootstrap,}127.0.0.1:$port"
done
sleep 1
c100=$(measure "$bootstrap" r100 1 3 100 "$records" -1 -1)
echo "- 3 brokers, RF 3, 100 B, acks=-1: $c100"
c1k=$(measure "$bootstrap" r1k 1 3 1024 $((records / 5)) -1 -1)
echo "- 3 brokers, RF 3, 1 KiB, acks=-1: $c1k"
c1k6=$(measure "$bootstrap" r1k6 6 3 1024 $((records / 5)) -1 -1)
echo "- 3 brokers, RF 3, 1 KiB, acks=-1, 6 partitions (leaders on every broker): $c1k6"
echo "- 3 brokers, RF 3, 1 KiB, acks=-1 at 20 MB/s (20480 records/s): $(measure "$bootstrap" paced 6 3 1024 409600 -1 20480)"

rate() { grep -oP '^\d+ records sent, \K[0-9.]+' <<< "$1" | cut -d. -f1; }
echo
echo "Ratio to single-node acks=1: 100 B $(( 100 * $(rate "$c100") / $(rate "$base100") ))%, 1 KiB $(( 100 * $(rate "$c1k") / $(rate "$base1k") ))% (one partition), $(( 100 * $(rate "$c1k6") / $(rate "$base1k") ))% (six partitions)."
