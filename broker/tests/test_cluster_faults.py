"""Cluster mode under faults, with a real etcd, three brokers and real clients.

Each test leaves a written verdict (printed, and in the assertion messages): what was done,
how long the cluster took to recover, and what the clients saw.
"""
import os
import random
import signal
import time
import unittest

from cluster_fixture import TernCluster, partition_info, wait_until
from cluster_load import AckedProducer, WatchingConsumer
from tern_fixture import consume_all

TOPIC_CONFIG = {"min.insync.replicas": "2"}


def create_replicated_topic(cluster, name, partitions, config=TOPIC_CONFIG):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic(name, partitions, 3, config=config)])[name].result(15)
    wait_until(lambda: all(leader >= 0 and len(isr) == 3
                           for leader, _, isr in partition_info(cluster.bootstrap, name).values()),
               15, f"{name}: leaders elected with full ISRs")


def verdict(name, lines):
    text = f"verdict {name}:\n  " + "\n  ".join(lines)
    print(text, flush=True)
    return text


class LostWriteCheck(unittest.TestCase):
    """acks=all + idempotence, RF 3, min.insync.replicas 2; the partitions' leader is killed
    with SIGKILL and restarted again and again; afterwards nothing acknowledged is missing or
    duplicated, and nothing a consumer saw has vanished."""

    ROUNDS = int(os.environ.get("TERN_LOST_WRITE_ROUNDS", "10"))
    SECONDS = float(os.environ.get("TERN_LOST_WRITE_SECONDS", "120"))

    def test_no_acknowledged_write_is_lost_when_leaders_are_killed(self):
        cluster = TernCluster(3)
        self.addCleanup(cluster.stop)
        topic, partitions = "lost-write", 3
        create_replicated_topic(cluster, topic, partitions)
        producer = AckedProducer(cluster.bootstrap, topic, partitions, rate=2000)
        watcher = WatchingConsumer(cluster.bootstrap, topic, partitions)
        producer.start()
        watcher.start()
        started = time.monotonic()
        failovers = []
        rng = random.Random(7)
        for round_ in range(self.ROUNDS):
            # Kills spread over the whole duration, at least 2 s of traffic before each.
            time.sleep(max(2.0, started + round_ * self.SECONDS / self.ROUNDS - time.monotonic()))
            part = rng.randrange(partitions)
            leader = partition_info(cluster.bootstrap, topic)[part][0]
            victim = cluster.brokers[leader]
            killed_at = time.monotonic()
            victim.kill()
            new_leader = wait_until(
                lambda: (lambda l: l if l not in (-1, leader) else None)(
                    partition_info(cluster.bootstrap, topic)[part][0]),
                15, f"round {round_}: a new leader for partition {part}")
            failovers.append(time.monotonic() - killed_at)
            victim.start()
            # Back in every ISR before the next kill, so min.insync.replicas can hold.
            wait_until(lambda: all(len(isr) == 3 for _, _, isr in
                                   partition_info(cluster.bootstrap, topic).values()),
                       30, f"round {round_}: broker {leader} back in sync")
        chaos_seconds = time.monotonic() - started
        time.sleep(1)
        unflushed = producer.finish()
        watcher.finish()
        final = consume_all(cluster, topic, partitions, timeout=120)
        by_offset = {(p, o): v.decode() for p, o, _, v in final}
        values = [v.decode() for _, _, _, v in final]
        duplicates = len(values) - len(set(values))
        missing = [v for v in producer.acked if v not in set(values)]
        moved = [v for v, at in producer.acked.items() if by_offset.get(at) != v]
        vanished = [(at, v) for at, v in watcher.seen.items() if by_offset.get(at) != v]
        report = verdict("lost-write check", [
            f"{self.ROUNDS} leader kills (SIGKILL) and restarts over {chaos_seconds:.0f} s",
            f"failover (kill -> new leader in metadata): max {max(failovers):.2f} s, "
            f"mean {sum(failovers) / len(failovers):.2f} s",
            f"produced {producer.sent}, acknowledged {len(producer.acked)}, "
            f"delivery errors {len(producer.errors)}, unflushed {unflushed}",
            f"log holds {len(final)} records; duplicates {duplicates}; acknowledged but missing "
            f"{len(missing)}; acknowledged at another offset {len(moved)}",
            f"watcher saw {len(watcher.seen)} records; seen but later vanished {len(vanished)}",
        ])
        self.assertGreaterEqual(len(producer.acked), producer.sent // 2, report)
        self.assertEqual(missing, [], report)
        self.assertEqual(moved, [], report)
        self.assertEqual(duplicates, 0, report)
        self.assertEqual(vanished, [], report)


if __name__ == "__main__":
    unittest.main()
