#!/usr/bin/env python3
"""How long producers stall when a partition leader is killed (SIGKILL), in cluster mode with
the default session timeout: etcd and three brokers on this machine, an acks=all idempotent
producer at 1000 records/s to a replication-factor-3 topic; each round kills the leader and
measures the time from the kill to the first acknowledgement of a record sent after it.

  python3 bench/failover.py [rounds]      (TERN_BIN_DIR: where tern-broker is; default build/bin)
"""
import os
import statistics
import sys
import threading
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "broker", "tests"))
os.environ.setdefault("TERN_BIN_DIR", os.path.join(root, "build", "bin"))

from cluster_fixture import TernCluster, broker_ids, partition_info, wait_until  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    # The broker defaults, not the test fixture's faster timeouts.
    defaults = {"broker.session.timeout.ms": None, "broker.heartbeat.interval.ms": None,
                "metadata.poll.interval.ms": None, "replica.lag.time.max.ms": None}
    # Restarted brokers keep their port, as a pod keeps its address: with a new port every
    # time, the client's reconnect backoff to the old address decided the slow rounds.
    cluster = TernCluster(3, keep_ports=True)
    for k in defaults:
        cluster.common.pop(k, None)
    for b in cluster.brokers.values():
        for k in defaults:
            b.overrides.pop(k, None)
        b.stop()
        b.start()
    try:
        for b in cluster.brokers.values():
            wait_until(lambda: len(broker_ids(b.bootstrap)) == 3, 15, "all brokers registered")
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        admin.create_topics([NewTopic("failover", 1, 3, config={"min.insync.replicas": "2"})])[
            "failover"].result(15)
        acks = []
        lock = threading.Lock()
        stop = threading.Event()

        def produce():
            p = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all",
                          "enable.idempotence": True, "linger.ms": 1})
            n = 0
            while not stop.is_set():
                sent = time.monotonic()
                p.produce("failover", value=str(n).encode(),
                          on_delivery=lambda e, m, sent=sent: e is None and lock.acquire() and
                          (acks.append((sent, time.monotonic())), lock.release()))
                n += 1
                p.poll(0)
                time.sleep(0.001)
            p.flush(30)

        t = threading.Thread(target=produce, daemon=True)
        t.start()
        time.sleep(3)
        gaps = []
        for r in range(rounds):
            leader = partition_info(cluster.bootstrap, "failover")[0][0]
            killed = time.monotonic()
            cluster.brokers[leader].kill()
            wait_until(lambda: any(sent > killed for sent, _ in list(acks)), 60,
                       "acknowledgements resume")
            with lock:
                first = min(done for sent, done in acks if sent > killed)
            gaps.append(first - killed)
            if os.environ.get("FAILOVER_DEBUG"):
                print(f"  killed at wall {time.time() - (time.monotonic() - killed):.3f}")
            print(f"round {r + 1}: leader {leader} killed; acks=all writes resumed after "
                  f"{gaps[-1]:.2f} s", flush=True)
            cluster.brokers[leader].start()
            wait_until(lambda: len(partition_info(cluster.bootstrap, "failover")[0][2]) == 3, 60,
                       "back in sync")
            time.sleep(2)
        stop.set()
        t.join(60)
        print(f"\nfailover (kill -9 of the leader -> first acks=all acknowledgement of a record "
              f"sent after the kill), {rounds} rounds: median {statistics.median(gaps):.2f} s, "
              f"max {max(gaps):.2f} s")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
