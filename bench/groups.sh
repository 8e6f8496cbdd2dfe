#!/usr/bin/env bash
# Consumer-group benchmarks: three `tern perf consume --group` processes sharing a 6-partition
# topic of 100-byte records, without commits and with commits every 100 ms; then how long a
# rebalance takes when a member joins (bench/rebalance.py). Prints Markdown.
#   BENCH_GROUP_RECORDS (default 6000000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${TERN_BIN_DIR:-$root/build/bin}"
records="${BENCH_GROUP_RECORDS:-6000000}"
work="$(mktemp -d /tmp/tern-bench-groups.XXXXXX)"
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${BENCH_KEEP_LOG:-}" ] && trap 'cp "$work/broker.log" "$BENCH_KEEP_LOG"; cleanup' EXIT

"$bin/tern-broker" --override log.dirs="$work/data" --override listeners=PLAINTEXT://127.0.0.1:0 \
  --override admin.listeners=http://127.0.0.1:0 \
  > "$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 500); do grep -q "tern-broker ready" "$work/broker.log" && break; sleep 0.01; done
port=$(grep -oP 'kafka=127\.0\.0\.1:\K[0-9]+' "$work/broker.log")
bootstrap="127.0.0.1:$port"

"$bin/tern" topics --create --bootstrap-server "$bootstrap" --topic g6 --partitions 6 > /dev/null
"$bin/tern" perf produce --bootstrap-server "$bootstrap" --topic g6 --record-size 100 \
  --num-records "$records" --throughput -1 --reporting-interval 0 \
  --producer-props acks=1 linger.ms=5 batch.size=1000000 partitioner=random > /dev/null

# All three start together, so the group's first generation (after group.initial.rebalance.delay.ms)
# already has them all. Each reads a bit less than its third, so none waits for records that
# went elsewhere.
per_member=$(( records * 95 / 300 ))

run_group() {  # group-id extra-consumer-props...
  local group="$1"; shift
  local pids=()
  for i in 1 2 3; do
    "$bin/tern" perf consume --bootstrap-server "$bootstrap" --topic g6 --group "$group" \
      --messages "$per_member" --timeout 20000 \
      --consumer-props fetch.max.bytes=52428800 max.partition.fetch.bytes=10485760 \
      queued.max.messages.kbytes=1048576 "$@" > "$work/$group-$i.out" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  # One rate for the group: all records over the span from the first record any member got
  # to the last.
  cat "$work/$group-"{1,2,3}.out | awk '
    /records consumed/ { n += $1 }
    /first.record.epoch.ms/ {
      split($1, f, "="); split($2, l, "=");
      if (first == "" || f[2] < first) first = f[2];
      if (l[2] > last) last = l[2];
    }
    END { printf "%.0f %d\n", n / ((last - first) / 1000.0), last - first }' 
}

read -r plain_sum plain_ms < <(run_group bench-plain enable.auto.commit=false)
read -r commit_sum commit_ms < <(run_group bench-commit enable.auto.commit=true auto.commit.interval.ms=100)
echo "## Consumer groups, $(date -u +%Y-%m-%dT%H:%MZ), commit \`$(git -C "$root" rev-parse --short HEAD)\`"
echo
echo "- 3 members, 6 partitions, $(( per_member * 3 )) records of 100 B, no commits: $plain_sum records/s for the group ($plain_ms ms from first to last record)"
echo "- the same committing every 100 ms (auto.commit.interval.ms=100): $commit_sum records/s ($commit_ms ms)"
/usr/bin/python3 "$root/bench/rebalance.py" "$bootstrap"
full=$(grep -cE 'group bench-(plain|commit): generation 1 with 3 members' "$work/broker.log" || true)
echo "- both measured groups formed their first generation with all 3 members: $([ "$full" = 2 ] && echo yes || echo no)"
