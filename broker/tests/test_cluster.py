"""Cluster mode with a real etcd and three tern-broker processes, driven by real clients.

Covers what a healthy cluster must show (every broker in Metadata, replicas and ISRs,
replication-factor checks against live brokers, default.replication.factor), min.insync.replicas
with acks=all, consumer groups whose coordinator is another broker, and a returning replica
that truncates the tail it wrote under an older leader epoch (OffsetForLeaderEpoch).
"""
import os
import signal
import time
import unittest

from cluster_fixture import TernCluster, partition_info, wait_until
from kafka_wire import parse_batches
from tern_fixture import BrokerStartError, TernBroker, consume_all, free_port


def produce(bootstrap, topic, values, acks="all", partition=0, timeout=30, retry=None):
    """Sends values and returns the delivery errors (empty list: all acknowledged). By default
    acks=1 probes do not retry and acks=all ones do."""
    from confluent_kafka import Producer
    errors = []
    p = Producer({"bootstrap.servers": bootstrap, "acks": acks, "message.timeout.ms": 10000,
                  "retries": 2147483647 if (retry if retry is not None else acks == "all") else 0})
    for v in values:
        p.produce(topic, value=v.encode(), partition=partition,
                  on_delivery=lambda e, m: errors.append(e) if e else None)
    p.flush(timeout)
    return errors


def create(bootstrap, name, partitions=1, rf=3, config=None):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    f = admin.create_topics([NewTopic(name, partitions, rf, config=dict(config or {}))])[name]
    f.result(15)


def batch_bytes(path):
    """Bytes of whole batches in a segment file. A follower's active segment may end with
    zeros past its last batch (direct writes are whole blocks): not counted."""
    with open(path, "rb") as f:
        return sum(b["size"] for b in parse_batches(f.read()))


def replica_bytes(broker, topic, partition=0):
    d = broker.partition_dir(topic, partition)
    return sum(batch_bytes(os.path.join(d, f)) for f in broker.segment_files(topic, partition))


def isr_of(bootstrap, topic, partition=0):
    return sorted(partition_info(bootstrap, topic)[partition][2])


def poll_values(consumer, count, timeout=30):
    """Values a subscribed consumer receives, until `count` or `timeout`."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        m = consumer.poll(0.5)
        if m is not None and not m.error():
            got.append(m.value())
    return got


class HealthyClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = TernCluster(3)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_admin_api_describes_a_topic_alike_on_every_broker(self):
        import json
        import re
        import urllib.error
        import urllib.request
        create(self.cluster.bootstrap, "described", partitions=4,
               config={"retention.ms": "60000"})

        def describe(node, name):
            url = f"{self.cluster.brokers[node].admin_url}/v1/topics/{name}"
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.load(r)

        answers = wait_until(lambda: (lambda a: a if all(x["partitions"] == 4 for x in a)
                                      else None)([describe(n, "described") for n in (1, 2, 3)]),
                             15, "every broker knows the topic")
        self.assertEqual(answers[0]["replication_factor"], 3)
        self.assertEqual(answers[0]["configs"], {"retention.ms": "60000"})
        self.assertRegex(answers[0]["topic_id"], re.compile(r"^[A-Za-z0-9_-]{22}$"))
        self.assertEqual({a["topic_id"] for a in answers}, {answers[0]["topic_id"]})
        with self.assertRaises(urllib.error.HTTPError) as missing:
            describe(1, "no-such-topic")
        self.assertEqual(missing.exception.code, 404)

    def test_metadata_shows_every_broker_with_replicas_and_isr(self):
        from confluent_kafka.admin import AdminClient
        create(self.cluster.bootstrap, "spread", partitions=6)
        info = wait_until(lambda: (lambda i: i if all(len(isr) == 3 for _, _, isr in i.values())
                                   else None)(partition_info(self.cluster.bootstrap, "spread")),
                          15, "full ISRs")
        md = AdminClient({"bootstrap.servers": self.cluster.bootstrap}).list_topics(timeout=10)
        self.assertEqual(sorted(md.brokers), [1, 2, 3])
        self.assertIn(md.controller_id, [1, 2, 3])
        leaders = {}
        for p, (leader, replicas, isr) in info.items():
            self.assertEqual(sorted(replicas), [1, 2, 3])
            self.assertEqual(leader, replicas[0], "the preferred replica leads")
            leaders[leader] = leaders.get(leader, 0) + 1
        self.assertEqual(sorted(leaders.values()), [2, 2, 2], f"leaders spread: {info}")

    def test_replication_factor_above_live_brokers_is_refused(self):
        from confluent_kafka import KafkaException
        with self.assertRaises(KafkaException) as cm:
            create(self.cluster.bootstrap, "too-many-replicas", rf=4)
        self.assertEqual(cm.exception.args[0].name(), "INVALID_REPLICATION_FACTOR")
        self.assertIn("larger than available brokers: 3", cm.exception.args[0].str())

    def test_auto_created_topics_use_default_replication_factor(self):
        self.assertEqual(produce(self.cluster.bootstrap, "auto-created", ["x"]), [])
        _, replicas, _ = partition_info(self.cluster.bootstrap, "auto-created")[0]
        self.assertEqual(len(replicas), 3)  # default.replication.factor=3 in the fixture

    def test_records_reach_every_replica_and_consumers_read_them(self):
        create(self.cluster.bootstrap, "replicated", partitions=3)
        values = [f"r{i}" for i in range(300)]
        for p in range(3):
            self.assertEqual(produce(self.cluster.bootstrap, "replicated", values, partition=p), [])
        got = consume_all(self.cluster, "replicated", 3)
        self.assertEqual(len(got), 900)
        # Every replica's log holds the records: each partition directory exists on all three
        # brokers with the same size.
        for p in range(3):
            sizes = wait_until(
                lambda: (lambda s: s if len(set(s)) == 1 else None)(
                    [replica_bytes(b, "replicated", p) for b in self.cluster.brokers.values()]),
                10, f"replicas of partition {p} equal")
            self.assertGreater(sizes[0], 0)

    def test_a_new_topic_is_known_at_once_to_every_broker(self):
        from kafka_wire import Conn, metadata_v1
        first, *others = sorted(self.cluster.brokers)
        for i in range(3):
            name = f"fresh-{i}"
            create(self.cluster.brokers[first].bootstrap, name, partitions=2)
            # Asked right after CreateTopics returned, before their next poll of etcd, the
            # other brokers still know the topic (a client told "unknown" waits a second).
            for node in others:
                with Conn(self.cluster.brokers[node].port) as c:
                    self.assertEqual(metadata_v1(c, [name]), {name: (0, 2)}, f"broker {node}")

    def test_one_topic_created_through_two_brokers_at_once_is_created_once(self):
        import struct
        from kafka_wire import (CREATE_TOPICS, Conn, create_topics_v2_body,
                                parse_create_topics_v2_response)
        nodes = sorted(self.cluster.brokers)[:2]
        conns = [Conn(self.cluster.brokers[n].port, timeout=30) for n in nodes]
        try:
            for i in range(10):
                name = f"raced-{i}"
                # Both requests are on their way before either broker answers.
                sent = [c.request(CREATE_TOPICS, 2, create_topics_v2_body(name, 2, 3))
                        for c in conns]
                errors = []
                for c, corr in zip(conns, sent):
                    resp = c.recv_frame()
                    self.assertEqual(struct.unpack_from(">i", resp, 0)[0], corr)
                    ((got, err),) = parse_create_topics_v2_response(resp[4:])
                    self.assertEqual(got, name)
                    errors.append(err)
                self.assertEqual(sorted(errors), [0, 36], f"{name}: {errors}")  # 36: exists
                self.assertEqual(len(partition_info(self.cluster.bootstrap, name)), 2)
        finally:
            for c in conns:
                c.close()

    def test_pipelined_acks_all_produces_are_answered_in_order(self):
        from kafka_wire import Conn, parse_produce_v3_response, pipelined_produces, record_batch
        from kafka_wire import produce as produce_wire
        create(self.cluster.bootstrap, "pipelined", config={"min.insync.replicas": "2"})
        leader = wait_until(
            lambda: (lambda p: p[0] if len(p[2]) == 3 else None)(
                partition_info(self.cluster.bootstrap, "pipelined")[0]),
            10, "leader with a full ISR")
        batches = [record_batch([(None, f"v{i}-{j}".encode()) for j in range(50)])
                   for i in range(16)]
        with Conn(self.cluster.brokers[leader].port, timeout=30) as c:
            # The leader may learn that it leads a poll after the broker that answered above.
            wait_until(lambda: produce_wire(c, "pipelined", 0, record_batch([(None, b"probe")]))
                       == (0, 0), 10, "the leader takes a first record")
            first = c.corr + 1
            answers = pipelined_produces(c, "pipelined", 0, batches)
        # Every Produce waits for the followers; the answers still come in request order,
        # and the Metadata request sent after them is answered last.
        self.assertEqual([corr for corr, _ in answers], list(range(first, first + 17)))
        offsets = []
        for _, body in answers[:-1]:
            (_, _, err, base, _), = parse_produce_v3_response(body)[0]
            self.assertEqual(err, 0)
            offsets.append(base)
        self.assertEqual(offsets, [1 + 50 * i for i in range(16)])
        got = consume_all(self.cluster, "pipelined", 1)
        self.assertEqual([v.decode() for _, _, _, v in got],
                         ["probe"] + [f"v{i}-{j}" for i in range(16) for j in range(50)])

    def test_consumer_group_coordinated_by_the_offsets_partition_leader(self):
        from confluent_kafka import Consumer
        create(self.cluster.bootstrap, "grouped", partitions=2)
        for p in range(2):
            produce(self.cluster.bootstrap, "grouped", [f"g{p}-{i}" for i in range(50)],
                    partition=p)
        c = Consumer({"bootstrap.servers": self.cluster.bootstrap, "group.id": "cluster-group",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe(["grouped"])
        got = poll_values(c, 100)
        c.commit(asynchronous=False)
        c.close()
        self.assertEqual(len(got), 100)
        c2 = Consumer({"bootstrap.servers": self.cluster.bootstrap, "group.id": "cluster-group"})
        from confluent_kafka import TopicPartition
        committed = c2.committed([TopicPartition("grouped", 0), TopicPartition("grouped", 1)],
                                 timeout=10)
        c2.close()
        self.assertEqual([tp.offset for tp in committed], [50, 50])


    def test_kcat_producer_and_kafka_python_group_consumer(self):
        import subprocess
        from kafka import KafkaConsumer
        create(self.cluster.bootstrap, "tools", partitions=3)
        lines = "".join(f"k{i % 5}:v{i}\n" for i in range(60))
        subprocess.run(["kcat", "-P", "-b", self.cluster.bootstrap, "-t", "tools", "-K:",
                        "-X", "acks=all"], input=lines, text=True, check=True, timeout=60)
        c = KafkaConsumer("tools", bootstrap_servers=self.cluster.bootstrap.split(","),
                          group_id="kafka-python-cluster", auto_offset_reset="earliest",
                          consumer_timeout_ms=10000)
        got = [(m.partition, m.key.decode(), m.value.decode()) for m in c]
        c.close()
        self.assertEqual(sorted(v for _, _, v in got), sorted(f"v{i}" for i in range(60)))
        # Records with the same key stay in one partition, in order.
        for key in {k for _, k, _ in got}:
            self.assertEqual(len({p for p, k, _ in got if k == key}), 1)
            values = [int(v[1:]) for _, k, v in got if k == key]
            self.assertEqual(values, sorted(values))


class MinInsyncReplicasTest(unittest.TestCase):
    def test_acks_all_is_refused_below_min_insync_replicas_and_acks_1_is_not(self):
        cluster = TernCluster(3)
        self.addCleanup(cluster.stop)
        create(cluster.bootstrap, "strict", config={"min.insync.replicas": "3"})
        self.assertEqual(produce(cluster.bootstrap, "strict", ["before"]), [])
        leader = partition_info(cluster.bootstrap, "strict")[0][0]
        follower = next(n for n in (1, 2, 3) if n != leader)
        cluster.brokers[follower].kill()
        # Asked of the leader itself: another broker may apply the shrink first, and a record
        # the leader appends while it still counts three in sync gets
        # NOT_ENOUGH_REPLICAS_AFTER_APPEND instead.
        wait_until(lambda: len(isr_of(cluster.brokers[leader].bootstrap, "strict")) == 2, 15,
                   "the leader sees the ISR shrink to 2")
        # NOT_ENOUGH_REPLICAS is retriable; without retries the client reports it.
        errors = produce(cluster.bootstrap, "strict", ["refused"], retry=False)
        self.assertEqual([e.name() for e in errors], ["NOT_ENOUGH_REPLICAS"])
        self.assertEqual(produce(cluster.bootstrap, "strict", ["acks-1"], acks="1"), [])
        cluster.brokers[follower].start()
        wait_until(lambda: len(isr_of(cluster.bootstrap, "strict")) == 3, 30, "ISR back to 3")
        self.assertEqual(produce(cluster.bootstrap, "strict", ["after"]), [])
        values = [v.decode() for _, _, _, v in consume_all(cluster, "strict", 1)]
        self.assertEqual(values, ["before", "acks-1", "after"])


class JoiningBrokerTest(unittest.TestCase):
    def test_a_topic_may_use_a_broker_that_registered_a_moment_ago(self):
        cluster = TernCluster(2)
        self.addCleanup(cluster.stop)
        cluster.add_broker(3)
        # Broker 1 may not have applied broker 3's registration yet; it reads etcd again
        # rather than refusing a replication factor of 3.
        create(cluster.brokers[1].bootstrap, "joined", rf=3)
        replicas = partition_info(cluster.brokers[1].bootstrap, "joined")[0][1]
        self.assertEqual(sorted(replicas), [1, 2, 3])


class RebalanceTest(unittest.TestCase):
    """A broker that joins holds nothing until the admin API's rebalance moves its share of
    replicas onto it; the records stay readable throughout."""

    def test_rebalance_spreads_replicas_onto_a_new_broker(self):
        import json
        import urllib.request
        cluster = TernCluster(2)
        self.addCleanup(cluster.stop)
        create(cluster.bootstrap, "spread", partitions=6, rf=2)
        wait_until(lambda: all(len(isr) == 2 for _, _, isr in
                               partition_info(cluster.bootstrap, "spread").values()), 15,
                   "in sync")
        for p in range(6):
            self.assertEqual(produce(cluster.bootstrap, "spread", [f"p{p}-{i}" for i in range(20)],
                                     partition=p), [])
        cluster.add_broker(3)
        admin = cluster.brokers[1].admin_url

        def call(method):
            req = urllib.request.Request(f"{admin}/v1/rebalance", method=method)
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())

        # Broker 1 learns of broker 3 a moment after it registered.
        status, before = wait_until(lambda: (lambda r: r if "3" in r[1]["replicas_per_broker"]
                                             else None)(call("GET")), 10,
                                    "broker 1 sees broker 3")
        self.assertEqual(status, 200)
        self.assertFalse(before["balanced"])
        self.assertEqual(before["replicas_per_broker"], {"1": 6, "2": 6, "3": 0})
        status, started = call("POST")
        self.assertEqual(status, 202)
        self.assertEqual(started["moves_started"], 4)
        self.assertEqual(started["replicas_per_broker_after_moves"], {"1": 4, "2": 4, "3": 4})

        def balanced():
            _, doc = call("GET")
            return doc if doc["balanced"] else None
        after = wait_until(balanced, 60, "the moves finish")
        self.assertEqual(after["replicas_per_broker"], {"1": 4, "2": 4, "3": 4})
        # The broker answering Metadata may apply the finished moves a moment later.
        info = wait_until(lambda: (lambda i: i if all(len(r) == 2 for _, r, _ in i.values())
                                   else None)(partition_info(cluster.bootstrap, "spread")),
                          10, "metadata shows the finished moves")
        self.assertEqual(sum(3 in replicas for _, replicas, _ in info.values()), 4)
        values = sorted(v.decode() for _, _, _, v in consume_all(cluster, "spread", 6))
        self.assertEqual(values, sorted(f"p{p}-{i}" for p in range(6) for i in range(20)))


def listener_ports(broker):
    """{name: port} from the ready line's listeners=NAME=host:port,... list."""
    import re
    m = re.search(r"listeners=(\S+)", broker.log())
    return {name: int(addr.rsplit(":", 1)[1])
            for name, addr in (item.split("=", 1) for item in m.group(1).split(","))}


def brokers_seen(bootstrap):
    """{node id: "host:port"} of the Metadata answer through `bootstrap`."""
    from confluent_kafka.admin import AdminClient
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return {b.id: f"{b.host}:{b.port}" for b in md.brokers.values()}


class ListenersTest(unittest.TestCase):
    """Two listeners per broker (INTERNAL for brokers and in-cluster clients, EXTERNAL with
    an advertised address of its own): each client is told the addresses of the listener it
    connected through, and replication runs on the inter-broker one."""

    LISTENERS = {
        "listeners": "INTERNAL://127.0.0.1:0,EXTERNAL://0.0.0.0:0",
        "listener.security.protocol.map": "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
        "inter.broker.listener.name": "INTERNAL",
        # Port 0 advertises the bound port; the name is what external clients resolve.
        "advertised.listeners": "EXTERNAL://localhost:0",
    }

    def test_each_listener_advertises_its_own_addresses(self):
        cluster = TernCluster(2, overrides=self.LISTENERS)
        self.addCleanup(cluster.stop)
        ports = {node: listener_ports(b) for node, b in cluster.brokers.items()}
        internal = ",".join(f"127.0.0.1:{p['INTERNAL']}" for p in ports.values())
        external = ",".join(f"localhost:{p['EXTERNAL']}" for p in ports.values())
        self.assertEqual(brokers_seen(internal),
                         {n: f"127.0.0.1:{p['INTERNAL']}" for n, p in ports.items()})
        self.assertEqual(brokers_seen(external),
                         {n: f"localhost:{p['EXTERNAL']}" for n, p in ports.items()})
        # Through the external listener only: acks=all needs the replica on the other broker,
        # which fetches over INTERNAL.
        create(external, "outside", partitions=2, rf=2)
        wait_until(lambda: all(len(isr) == 2 for _, _, isr in
                               partition_info(internal, "outside").values()), 15, "in sync")
        for p in (0, 1):
            self.assertEqual(produce(external, "outside", [f"v{p}-{i}" for i in range(10)],
                                     partition=p), [])
        from confluent_kafka import Consumer
        c = Consumer({"bootstrap.servers": external, "group.id": "outside-group",
                      "auto.offset.reset": "earliest"})
        c.subscribe(["outside"])
        got = [v.decode() for v in poll_values(c, 20)]
        c.close()
        self.assertEqual(sorted(got), sorted(f"v{p}-{i}" for p in (0, 1) for i in range(10)))

    def test_a_single_broker_answers_per_listener_too(self):
        broker = TernBroker(overrides=self.LISTENERS).start()
        self.addCleanup(broker.cleanup)
        ports = listener_ports(broker)
        self.assertEqual(brokers_seen(f"localhost:{ports['EXTERNAL']}"),
                         {0: f"localhost:{ports['EXTERNAL']}"})
        self.assertEqual(brokers_seen(f"127.0.0.1:{ports['INTERNAL']}"),
                         {0: f"127.0.0.1:{ports['INTERNAL']}"})

    def test_listeners_that_cannot_work_stop_the_broker_with_the_reason(self):
        for overrides, reason in [
                ({"listeners": "EXTERNAL://127.0.0.1:0"}, "listener.security.protocol.map"),
                ({"listeners": "SSL://127.0.0.1:0"}, "only PLAINTEXT"),
                ({"advertised.listeners": "OTHER://example.com:9094"}, "not in listeners")]:
            broker = TernBroker(overrides=overrides)
            with self.assertRaises(BrokerStartError) as err:
                broker.start()
            self.addCleanup(broker.cleanup)
            self.assertIn(reason, str(err.exception))


class DivergentTailTest(unittest.TestCase):
    """A replica that wrote records no other replica has (acks=1 while alone in the ISR), and
    that lost its leadership to an unclean election, truncates them when it returns."""

    def test_returning_replica_truncates_to_the_new_leaders_epoch(self):
        cluster = TernCluster(2, overrides={"unclean.leader.election.enable": "true",
                                            "auto.leader.rebalance.enable": "false"})
        self.addCleanup(cluster.stop)
        create(cluster.bootstrap, "diverge", rf=2, config={"min.insync.replicas": "1"})
        wait_until(lambda: len(isr_of(cluster.bootstrap, "diverge")) == 2, 15, "full ISR")
        self.assertEqual(produce(cluster.bootstrap, "diverge", [f"ok{i}" for i in range(10)]), [])
        old_leader = partition_info(cluster.bootstrap, "diverge")[0][0]
        other = 3 - old_leader
        wait_until(lambda: len({replica_bytes(b, "diverge") for b in cluster.brokers.values()})
                   == 1, 10, "both replicas hold the first records")
        os.kill(cluster.brokers[other].pid, signal.SIGSTOP)
        try:
            wait_until(lambda: isr_of(cluster.brokers[old_leader].bootstrap, "diverge")
                       == [old_leader], 15, "the paused follower leaves the ISR")
            self.assertEqual(produce(cluster.brokers[old_leader].bootstrap, "diverge",
                                     [f"lost{i}" for i in range(5)], acks="1"), [])
            cluster.brokers[old_leader].kill()
        finally:
            os.kill(cluster.brokers[other].pid, signal.SIGCONT)
        # Only the out-of-sync replica is alive: the unclean election makes it leader.
        wait_until(lambda: partition_info(cluster.brokers[other].bootstrap, "diverge")[0][0]
                   == other, 20, "unclean election of the other replica")
        self.assertEqual(produce(cluster.brokers[other].bootstrap, "diverge",
                                 [f"new{i}" for i in range(3)], acks="1"), [])
        returning = cluster.brokers[old_leader]
        returning.start()
        wait_until(lambda: len(isr_of(cluster.bootstrap, "diverge")) == 2, 30,
                   "the returning replica catches up")
        self.assertIn("truncating divergent tail", returning.log())
        # The returning replica now leads and serves the agreed log, without the lost tail.
        cluster.brokers[other].kill()
        wait_until(lambda: partition_info(returning.bootstrap, "diverge")[0][0] == old_leader,
                   20, "the returning replica leads again")
        values = [v.decode() for _, _, _, v in consume_all(returning, "diverge", 1)]
        self.assertEqual(values, [f"ok{i}" for i in range(10)] + [f"new{i}" for i in range(3)])


class EtcdStoreTest(unittest.TestCase):
    def test_topics_live_in_etcd_across_restarts_of_every_broker(self):
        cluster = TernCluster(2)
        self.addCleanup(cluster.stop)
        create(cluster.bootstrap, "kept", partitions=2, rf=2,
               config={"retention.ms": "3600000"})
        for b in cluster.brokers.values():
            b.stop()
        for b in cluster.brokers.values():
            b.start()
        info = wait_until(lambda: partition_info(cluster.bootstrap, "kept"), 15, "topic back")
        self.assertEqual(sorted(info), [0, 1])
        from confluent_kafka.admin import AdminClient, ConfigResource
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        res = ConfigResource(ConfigResource.Type.TOPIC, "kept")
        configs = admin.describe_configs([res])[res].result(10)
        self.assertEqual(configs["retention.ms"].value, "3600000")

    def test_unreachable_etcd_stops_the_broker_with_a_message(self):
        b = TernBroker(overrides={"metadata.store": f"etcd://127.0.0.1:{free_port()}"},
                       ready_timeout=20)
        self.addCleanup(b.cleanup)
        with self.assertRaises(BrokerStartError):
            b.start()
        self.assertIn("metadata.store: etcd unreachable", b.all_logs())


if __name__ == "__main__":
    unittest.main()
