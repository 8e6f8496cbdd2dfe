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


def elected_instead_of(bootstrap, topic, partition, old_leader):
    """The partition's leader if it is another broker than `old_leader` (else None)."""
    leader = partition_info(bootstrap, topic)[partition][0]
    return leader if leader not in (-1, old_leader) else None


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
                lambda: elected_instead_of(cluster.bootstrap, topic, part, leader),
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
        present = set(values)
        duplicates = len(values) - len(present)
        missing = [v for v in producer.acked if v not in present]
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


def java_hash(s):
    h = 0
    for c in s.encode():
        h = (31 * h + c) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def offsets_partition(group, partitions=50):
    h = java_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def count_growth(producer, seconds):
    before = len(producer.acked)
    time.sleep(seconds)
    return len(producer.acked) - before


def check_nothing_lost(test, cluster, topic, partitions, producer, watcher, lines):
    final = consume_all(cluster, topic, partitions, timeout=120)
    by_offset = {(p, o): v.decode() for p, o, _, v in final}
    values = [v.decode() for _, _, _, v in final]
    present = set(values)
    missing = [v for v in producer.acked if v not in present]
    vanished = [] if watcher is None else \
        [(at, v) for at, v in watcher.seen.items() if by_offset.get(at) != v]
    lines = lines + [
        f"produced {producer.sent}, acknowledged {len(producer.acked)}, "
        f"delivery errors {len(producer.errors)}",
        f"log holds {len(final)} records; duplicates {len(values) - len(present)}; "
        f"acknowledged but missing {len(missing)}"
        + ("" if watcher is None else f"; seen but later vanished {len(vanished)}")]
    report = verdict(test.id().split(".")[-1], lines)
    test.assertEqual(missing, [], report)
    test.assertEqual(len(values), len(present), report)
    test.assertEqual(vanished, [], report)
    return report


class FollowerKilledTest(unittest.TestCase):
    def test_isr_shrinks_writes_continue_and_the_follower_rejoins(self):
        cluster = TernCluster(3)
        self.addCleanup(cluster.stop)
        topic = "follower-kill"
        create_replicated_topic(cluster, topic, 1)
        producer = AckedProducer(cluster.bootstrap, topic, 1, rate=1000)
        producer.start()
        time.sleep(2)
        leader = partition_info(cluster.bootstrap, topic)[0][0]
        follower = next(n for n in (1, 2, 3) if n != leader)
        killed = time.monotonic()
        cluster.brokers[follower].kill()
        wait_until(lambda: len(partition_info(cluster.bootstrap, topic)[0][2]) == 2, 15,
                   "ISR shrinks")
        shrink = time.monotonic() - killed
        acked_while_down = count_growth(producer, 3)
        restarted = time.monotonic()
        cluster.brokers[follower].start()
        wait_until(lambda: len(partition_info(cluster.bootstrap, topic)[0][2]) == 3, 30,
                   "the follower rejoins the ISR")
        rejoin = time.monotonic() - restarted
        time.sleep(1)
        producer.finish()
        self.assertGreater(acked_while_down, 1000, "acks=all writes continued with ISR 2 >= 2")
        check_nothing_lost(self, cluster, topic, 1, producer, None, [
            f"follower {follower} killed: ISR shrank in {shrink:.2f} s",
            f"{acked_while_down} acks=all writes acknowledged in 3 s with the follower down",
            f"restarted: back in the ISR in {rejoin:.2f} s"])


class GoneProcessTest(unittest.TestCase):
    """A killed broker's address refuses connections. The brokers that notice (followers that
    fetched from it, leaders it fetched from) end its session at once, so leaders are elected
    and ISRs shrink long before its lease, here 60 s, would expire."""

    def test_killed_leader_and_follower_are_replaced_before_their_lease_expires(self):
        cluster = TernCluster(3, overrides={"broker.session.timeout.ms": "60000"})
        self.addCleanup(cluster.stop)
        topic = "gone"
        create_replicated_topic(cluster, topic, 1)
        producer = AckedProducer(cluster.bootstrap, topic, 1, rate=500)
        producer.start()
        time.sleep(1)

        leader = partition_info(cluster.bootstrap, topic)[0][0]
        killed = time.monotonic()
        cluster.brokers[leader].kill()
        others = ",".join(b.bootstrap for b in cluster.brokers.values() if b.running)
        successor = wait_until(lambda: elected_instead_of(others, topic, 0, leader), 20,
                               "a new leader long before the 60 s lease expires")
        elected = time.monotonic() - killed
        acked_after_leader_loss = count_growth(producer, 2)
        cluster.brokers[leader].start()
        # Asked of every broker: one that applied the rejoin later could otherwise still show
        # the shrunken ISR after the next kill.
        wait_until(lambda: all(len(partition_info(b.bootstrap, topic)[0][2]) == 3
                               for b in cluster.brokers.values()), 30,
                   "the old leader rejoins the ISR")

        follower = next(n for n in (1, 2, 3) if n != successor)
        killed = time.monotonic()
        cluster.brokers[follower].kill()
        wait_until(lambda: len(partition_info(cluster.bootstrap, topic)[0][2]) == 2, 20,
                   "the ISR shrinks long before the 60 s lease expires")
        shrunk = time.monotonic() - killed
        acked_after_follower_loss = count_growth(producer, 2)
        producer.finish()
        ended = sum(b.all_logs().count("refuses connections") for b in cluster.brokers.values())
        self.assertGreater(ended, 0, "a broker ended a gone process's session")
        self.assertGreater(acked_after_leader_loss, 0, "acks=all writes resumed")
        self.assertGreater(acked_after_follower_loss, 0, "acks=all writes went on with ISR 2")
        check_nothing_lost(self, cluster, topic, 1, producer, None, [
            f"leader {leader} killed: broker {successor} elected in {elected:.2f} s",
            f"follower {follower} killed: ISR shrank in {shrunk:.2f} s",
            f"sessions ended on refused connections: {ended}"])


class PausedLeaderTest(unittest.TestCase):
    def test_paused_leader_is_replaced_and_then_accepts_no_acks_all_write(self):
        import kafka_wire as kw
        cluster = TernCluster(3)
        self.addCleanup(cluster.stop)
        topic = "paused-leader"
        create_replicated_topic(cluster, topic, 1)
        producer = AckedProducer(cluster.bootstrap, topic, 1, rate=500)
        producer.start()
        time.sleep(2)
        leader = partition_info(cluster.bootstrap, topic)[0][0]
        old = cluster.brokers[leader]
        others = ",".join(b.bootstrap for n, b in cluster.brokers.items() if n != leader)
        conn = kw.Conn(old.port)
        self.addCleanup(conn.close)
        os.kill(old.pid, signal.SIGSTOP)
        paused = time.monotonic()
        try:
            # Queued in the socket while the leader sleeps: the first thing it reads on waking.
            conn.request(kw.PRODUCE, 3, kw.produce_v3_body(
                topic, 0, kw.record_batch([(None, b"from-the-past")]), acks=-1))
            new_leader = wait_until(lambda: elected_instead_of(others, topic, 0, leader), 20,
                                    "a new leader while paused")
            elected = time.monotonic() - paused
            time.sleep(1)
        finally:
            os.kill(old.pid, signal.SIGCONT)
        resp = conn.recv_frame()
        parts, _ = kw.parse_produce_v3_response(resp[4:])
        queued_error = parts[0][2]
        wait_until(lambda: partition_info(old.bootstrap, topic)[0][0] == new_leader, 15,
                   "the old leader steps down")
        err, _ = kw.produce(conn, topic, 0, kw.record_batch([(None, b"late")]), acks=-1)
        time.sleep(1)
        producer.finish()
        report = check_nothing_lost(self, cluster, topic, 1, producer, None, [
            f"leader {leader} paused (SIGSTOP); broker {new_leader} elected after {elected:.2f} s",
            f"acks=all produce queued during the pause answered with error {queued_error}",
            f"acks=all produce to the old leader after it woke: error {err}"])
        self.assertEqual(queued_error, 6, report)  # NOT_LEADER_OR_FOLLOWER
        self.assertEqual(err, 6, report)
        values = [v for _, _, _, v in consume_all(cluster, topic, 1)]
        self.assertNotIn(b"from-the-past", values)
        self.assertNotIn(b"late", values)


class EtcdOutageTest(unittest.TestCase):
    OUTAGE = float(os.environ.get("TERN_ETCD_OUTAGE_SECONDS", "30"))

    def test_leaders_keep_serving_while_etcd_is_down_and_nothing_changes(self):
        cluster = TernCluster(3)
        self.addCleanup(cluster.stop)
        topic = "etcd-outage"
        create_replicated_topic(cluster, topic, 3)
        producer = AckedProducer(cluster.bootstrap, topic, 3, rate=1000)
        watcher = WatchingConsumer(cluster.bootstrap, topic, 3)
        producer.start()
        watcher.start()
        time.sleep(2)
        before = partition_info(cluster.bootstrap, topic)
        cluster.etcd.halt()
        acked_during = count_growth(producer, self.OUTAGE)
        seen_before_restart = len(watcher.seen)
        during = partition_info(cluster.bootstrap, topic)
        cluster.etcd.start()
        time.sleep(5)
        after = wait_until(lambda: (lambda i: i if all(len(isr) == 3 for _, _, isr in i.values())
                                    else None)(partition_info(cluster.bootstrap, topic)),
                           30, "converged with full ISRs")
        time.sleep(1)
        producer.finish()
        watcher.finish()
        leaders = lambda info: {p: v[0] for p, v in info.items()}
        report = check_nothing_lost(self, cluster, topic, 3, producer, watcher, [
            f"etcd stopped for {self.OUTAGE:.0f} s: {acked_during} acks=all writes acknowledged "
            f"meanwhile; the consumer had seen {seen_before_restart}",
            f"leaders before {leaders(before)}, during {leaders(during)}, after {leaders(after)}"])
        self.assertGreater(acked_during, 0, report)
        self.assertEqual(leaders(before), leaders(during), report)
        self.assertEqual(leaders(before), leaders(after), report)


class CoordinatorFailoverTest(unittest.TestCase):
    def test_group_keeps_consuming_after_its_coordinator_is_killed(self):
        from confluent_kafka import Consumer, TopicPartition
        cluster = TernCluster(3)
        self.addCleanup(cluster.stop)
        topic, group = "coordinated", "failover-group"
        create_replicated_topic(cluster, topic, 2)
        producer = AckedProducer(cluster.bootstrap, topic, 2, rate=500)
        producer.start()
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
        consumer.subscribe([topic])
        consumed = []

        def commit():
            from confluent_kafka import KafkaError, KafkaException
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as e:
                # Nothing consumed since the last commit: nothing to do.
                if e.args[0].code() != KafkaError._NO_OFFSET:
                    raise

        def consume_for(seconds, at_least):
            # At least `seconds`, and until `at_least` more records came (joining the group
            # takes longer on a busy machine), within a minute.
            end = time.monotonic() + seconds
            give_up = time.monotonic() + 60
            target = len(consumed) + at_least
            while (time.monotonic() < end or len(consumed) < target) and \
                    time.monotonic() < give_up:
                m = consumer.poll(0.2)
                if m is not None and not m.error():
                    consumed.append(m.value().decode())
                    if len(consumed) % 100 == 0:
                        commit()

        consume_for(6, 500)
        commit()
        committed_before = {tp.partition: tp.offset for tp in consumer.committed(
            [TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)}
        part = offsets_partition(group)
        coordinator = partition_info(cluster.bootstrap, "__consumer_offsets")[part][0]
        cluster.brokers[coordinator].kill()
        n_before = len(consumed)
        consume_for(15, 1000)
        commit()
        committed_after = {tp.partition: tp.offset for tp in consumer.committed(
            [TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)}
        consumer.close()
        producer.finish()
        report = verdict("coordinator failover", [
            f"coordinator {coordinator} (leader of __consumer_offsets-{part}) killed",
            f"consumed {n_before} before, {len(consumed) - n_before} in the 15 s after",
            f"committed before {committed_before}, after {committed_after}"])
        self.assertGreater(len(consumed) - n_before, 1000, report)
        for p in (0, 1):
            self.assertGreaterEqual(committed_after[p], committed_before[p], report)
            self.assertGreater(committed_before[p], 0, report)


class ReassignmentTest(unittest.TestCase):
    """Replicas moved between brokers under load, with AlterPartitionReassignments and with
    the admin API's drain; nothing is lost and consumers continue."""

    def test_move_replicas_under_load_then_drain_a_broker(self):
        import json
        import urllib.request
        import kafka_wire as kw
        from cluster_admin_wire import alter_reassignments, elect_preferred_leaders, \
            list_reassignments
        cluster = TernCluster(4)
        self.addCleanup(cluster.stop)
        topic = "moving"
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        admin.create_topics([NewTopic(topic, 2, replica_assignment=[[1, 2, 3], [2, 3, 1]],
                                      config={"min.insync.replicas": "2"})])[topic].result(15)
        wait_until(lambda: all(len(isr) == 3 for _, _, isr in
                               partition_info(cluster.bootstrap, topic).values()), 15, "in sync")
        producer = AckedProducer(cluster.bootstrap, topic, 2, rate=1000)
        watcher = WatchingConsumer(cluster.bootstrap, topic, 2)
        producer.start()
        watcher.start()
        time.sleep(2)
        conn = kw.Conn(cluster.brokers[4].port)
        self.addCleanup(conn.close)
        bad = alter_reassignments(conn, {(topic, 0): [1, 1, 2], (topic, 1): [2, 3, 9]})
        self.assertEqual(bad[(topic, 0)][0], 39)  # INVALID_REPLICA_ASSIGNMENT
        self.assertEqual(bad[(topic, 1)][0], 39)
        self.assertEqual(alter_reassignments(conn, {(topic, 1): None})[(topic, 1)][0], 85)
        started = time.monotonic()
        # Partition 0 moves off its leader (1) entirely; partition 1 swaps a follower.
        result = alter_reassignments(conn, {(topic, 0): [4, 2, 3], (topic, 1): [2, 4, 1]})
        self.assertEqual(result, {(topic, 0): (0, None), (topic, 1): (0, None)})
        wait_until(lambda: {p: sorted(r) for p, (_, r, _) in
                            partition_info(cluster.bootstrap, topic).items()}
                   == {0: [2, 3, 4], 1: [1, 2, 4]} and not list_reassignments(conn),
                   60, "the reassignment completes")
        moved = time.monotonic() - started
        info = partition_info(cluster.bootstrap, topic)
        self.assertIn(info[0][0], [2, 3, 4], "leadership left broker 1")
        self.assertEqual(sorted(os.listdir(cluster.brokers[1].data_dir)).count(f"{topic}-0"), 0,
                         "broker 1 removed the replica it no longer holds")
        elect = elect_preferred_leaders(conn, topic, [0, 1])

        # Drain broker 2 through the admin API: every replica and leadership moves off it.
        admin = cluster.brokers[3].admin_url
        req = urllib.request.Request(f"{admin}/v1/brokers/2/drain", method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 202)
        drain_started = time.monotonic()

        def drained():
            with urllib.request.urlopen(f"{admin}/v1/brokers/2/drain", timeout=5) as r:
                doc = json.loads(r.read())
            return doc if doc["drained"] else None
        progress = wait_until(drained, 90, "broker 2 drained")
        drain_seconds = time.monotonic() - drain_started
        # Broker 3 answered "drained"; the broker answering Metadata may apply the finished
        # moves a moment later.
        info = wait_until(lambda: (lambda i: i if all(2 not in r for _, r, _ in i.values())
                                   else None)(partition_info(cluster.bootstrap, topic)),
                          10, "metadata shows the drained broker gone from every partition")
        with urllib.request.urlopen(f"{admin}/v1/cluster", timeout=5) as r:
            health = json.loads(r.read())
        time.sleep(1)
        producer.finish()
        watcher.finish()
        report = check_nothing_lost(self, cluster, topic, 2, producer, watcher, [
            f"AlterPartitionReassignments moved both partitions in {moved:.1f} s under load",
            f"preferred election afterwards: {elect}",
            f"drain of broker 2 finished in {drain_seconds:.1f} s: {progress}",
            f"replicas now {({p: r for p, (_, r, _) in info.items()})}",
            f"cluster health: {health}"])
        for p, (leader, replicas, isr) in info.items():
            self.assertNotIn(2, replicas, report)
            self.assertEqual(len(replicas), 3, report)
        self.assertEqual(health["reassigning_partitions"], 0, report)
        self.assertTrue(any(b["id"] == 2 and b["draining"] for b in health["brokers"]), report)
        self.assertGreater(len(watcher.seen), 0, report)
