"""Storage: retention, crash and clean restarts, recovery of damaged segments, index rebuild."""

import os
import time
import unittest

from tern_fixture import (BrokerTestCase, admin_client, consume_all, create_topic,
                          describe_exit, watermarks)
from kafka_wire import Conn, parse_batches, produce, record_batch

CHECK_INTERVAL = {"log.retention.check.interval.ms": "200"}


def produce_batches(broker, topic, partition, n_batches, per_batch, value_size=100,
                    timestamp=None, tag="r"):
    """Produce n_batches RecordBatches of per_batch records over a raw connection.

    timestamp: None (now) or a function batch_index -> ms. Returns [(offset, key, value)].
    """
    out = []
    with Conn(broker.port) as c:
        for i in range(n_batches):
            recs = []
            for j in range(per_batch):
                n = i * per_batch + j
                recs.append((b"key-%d" % (n % 10),
                             (b"%s-%08d-" % (tag.encode(), n)).ljust(value_size, b"v")))
            ts = timestamp(i) if timestamp else None
            err, base = produce(c, topic, partition, record_batch(recs, timestamp=ts))
            assert err == 0, f"produce batch {i} failed with error {err}"
            out += [(base + j, k, v) for j, (k, v) in enumerate(recs)]
    return out


def read_log_batches(path):
    with open(path, "rb") as f:
        return parse_batches(f.read())


def wait_until(predicate, timeout, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


class RetentionTest(BrokerTestCase):
    def test_retention_bytes_deletes_oldest_segments(self):
        b = self.start_broker(CHECK_INTERVAL)
        seg, keep = 4096, 16384
        create_topic(b, "ret-bytes", 1, {"segment.bytes": str(seg), "retention.bytes": str(keep)})
        written = produce_batches(b, "ret-bytes", 0, n_batches=100, per_batch=10)
        # ~1.2 KB batches into 4 KB segments: dozens of segments.
        self.assertGreater(len(b.segment_files("ret-bytes")), 8)

        def retained():
            lo, hi = watermarks(b, "ret-bytes")
            logs = b.segment_files("ret-bytes")
            size = sum(os.path.getsize(os.path.join(b.partition_dir("ret-bytes"), f))
                       for f in logs)
            return (lo, hi, logs, size) if lo > 0 and size <= keep + 2 * seg else None

        lo, hi, logs, size = wait_until(retained, 20, 0.2, "retention.bytes to delete segments")
        self.assertEqual(hi, 1000)
        self.assertNotIn("00000000000000000000.log", logs)
        self.assertGreaterEqual(size, keep - seg, "retention deleted more than it should")
        # The earliest offset is the base offset of the oldest remaining segment.
        self.assertEqual(lo, int(logs[0][:-4]))
        # Reading from the beginning starts at the new log start and has the newest data.
        got = consume_all(b, "ret-bytes", 1, timeout=30)
        self.assertEqual([(o, k, v) for _, o, k, v in got], written[lo:])
        # Producing continues at the same offsets.
        more = produce_batches(b, "ret-bytes", 0, 1, 1, tag="after")
        self.assertEqual(more[0][0], 1000)

    def test_retention_ms_deletes_expired_segments(self):
        b = self.start_broker(CHECK_INTERVAL)
        create_topic(b, "ret-ms", 1, {"segment.bytes": "4096", "retention.ms": "1500"})
        produce_batches(b, "ret-ms", 0, n_batches=40, per_batch=10)
        first_logs = b.segment_files("ret-ms")
        self.assertGreater(len(first_logs), 5)

        def expired():
            lo, hi = watermarks(b, "ret-ms")
            logs = b.segment_files("ret-ms")
            # Every closed segment is older than 1.5 s by now.
            return (lo, hi, logs) if lo >= int(first_logs[-1][:-4]) else None

        lo, hi, logs = wait_until(expired, 20, 0.2, "retention.ms to delete expired segments")
        self.assertEqual(hi, 400)
        for f in first_logs[:-1]:
            self.assertNotIn(f, logs, f"expired segment {f} still on disk")
        # New data is still accepted and readable after everything older expired.
        more = produce_batches(b, "ret-ms", 0, 1, 3, tag="fresh")
        self.assertEqual(more[0][0], 400)
        got = consume_all(b, "ret-ms", 1, timeout=30)
        self.assertEqual([(o, k, v) for _, o, k, v in got][-3:], more)

    def test_retention_ms_uses_record_timestamps(self):
        b = self.start_broker(CHECK_INTERVAL)
        create_topic(b, "ret-ts", 1, {"segment.bytes": "4096", "retention.ms": "3600000"})
        now = int(time.time() * 1000)
        # 30 batches stamped two hours ago, then 10 stamped now.
        produce_batches(b, "ret-ts", 0, 30, 10, timestamp=lambda i: now - 7_200_000, tag="old")
        fresh = produce_batches(b, "ret-ts", 0, 10, 10, tag="new")
        self.assertEqual(fresh[0][0], 300)
        lo, hi = wait_until(lambda: (lambda w: w if w[0] > 0 else None)(watermarks(b, "ret-ts")),
                            20, 0.2, "old-timestamp segments to expire")
        self.assertEqual(hi, 400)
        self.assertLessEqual(lo, 300, "segments with fresh records were deleted")
        time.sleep(1)  # several more retention passes: fresh data must stay
        lo2, _ = watermarks(b, "ret-ts")
        self.assertLessEqual(lo2, 300)
        got = consume_all(b, "ret-ts", 1, timeout=30)
        self.assertEqual([(o, k, v) for _, o, k, v in got][-100:], fresh)


class RestartTest(BrokerTestCase):
    def test_kill9_during_produce_keeps_every_acknowledged_record(self):
        from confluent_kafka import Producer
        b = self.start_broker()
        create_topic(b, "crash", 3)
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 2,
                      "message.timeout.ms": 4000, "retries": 0,
                      "socket.timeout.ms": 2000, "enable.idempotence": False})
        acked = {}
        failed = [0]

        def cb(err, msg):
            if err is None:
                acked[msg.value()] = (msg.partition(), msg.offset())
            else:
                failed[0] += 1

        killed_at = None
        deadline = time.monotonic() + 60
        i = 0
        while time.monotonic() < deadline:
            try:
                p.produce("crash", key=b"k%d" % (i % 31), value=b"crash-%09d" % i, on_delivery=cb)
                i += 1
            except BufferError:
                p.poll(0.05)
            p.poll(0)
            if killed_at is None and len(acked) >= 20000:
                b.kill()  # SIGKILL while requests are in flight
                killed_at = (i, len(acked))
            if killed_at is not None and i >= killed_at[0] + 5000:
                break
        self.assertIsNotNone(killed_at, "did not reach 20000 acks before the deadline")
        p.flush(15)
        self.assertGreater(failed[0], 0, "kill -9 did not interrupt any in-flight produce")
        acked_total = len(acked)

        b.start()
        got = consume_all(b, "crash", 3, timeout=60)
        stored = {}
        for part, off, _, v in got:
            self.assertNotIn(v, stored, f"value {v!r} stored twice")
            stored[v] = (part, off)
        missing = [v for v in acked if v not in stored]
        self.assertEqual(missing, [], f"{len(missing)} of {acked_total} acknowledged records lost")
        moved = [v for v, at in acked.items() if stored[v] != at]
        self.assertEqual(moved, [], "acknowledged records changed offset after restart")
        # The restarted broker accepts new writes after the recovered tail.
        highs = [watermarks(b, "crash", q)[1] for q in range(3)]
        more = produce_batches(b, "crash", 1, 1, 1, tag="after-crash")
        self.assertEqual(more[0][0], highs[1])

    def test_clean_restart_keeps_data(self):
        b = self.start_broker()
        create_topic(b, "durable", 3, {"segment.bytes": "65536"})
        written = {q: produce_batches(b, "durable", q, 50, 20, tag=f"p{q}") for q in range(3)}
        rc = b.stop()
        self.assertEqual(rc, 0, f"broker {describe_exit(rc)} instead of stopping cleanly")
        self.assertIn("stopped cleanly", b.log())
        b.start()
        got = consume_all(b, "durable", 3, timeout=60)
        for q in range(3):
            self.assertEqual([(o, k, v) for p, o, k, v in got if p == q], written[q])
        more = produce_batches(b, "durable", 2, 1, 1, tag="after")
        self.assertEqual(more[0][0], 1000)
        # And once more, with the data written after the first restart.
        rc = b.stop()
        self.assertEqual(rc, 0, f"broker {describe_exit(rc)} instead of stopping cleanly")
        b.start()
        self.assertEqual(watermarks(b, "durable", 2), (0, 1001))

    def test_topics_and_configs_survive_restart(self):
        from confluent_kafka.admin import ConfigResource, NewPartitions
        b = self.start_broker()
        configs = {"retention.ms": "123456789", "segment.bytes": "1048576",
                   "max.message.bytes": "200000", "retention.bytes": "987654321"}
        create_topic(b, "configured", 2, configs)
        create_topic(b, "plain", 1)
        create_topic(b, "doomed", 1)
        admin = admin_client(b)
        admin.create_partitions([NewPartitions("plain", 4)])["plain"].result(15)
        admin.delete_topics(["doomed"])["doomed"].result(15)
        wait_until(lambda: "doomed" not in admin.list_topics(timeout=5).topics, 10,
                   message="doomed to disappear")

        b.stop()
        b.start()
        admin = admin_client(b)
        md = admin.list_topics(timeout=10)
        self.assertEqual(len(md.topics["configured"].partitions), 2)
        self.assertEqual(len(md.topics["plain"].partitions), 4)
        self.assertNotIn("doomed", md.topics)
        res = ConfigResource(ConfigResource.Type.TOPIC, "configured")
        described = admin.describe_configs([res])[res].result(15)
        for k, v in configs.items():
            self.assertEqual(described[k].value, v, k)
            self.assertFalse(described[k].is_default, k)
        # The persisted limit is enforced, not only reported.
        with Conn(b.port) as c:
            err, _ = produce(c, "configured", 0, record_batch([(b"k", b"x" * 250000)]))
            self.assertEqual(err, 10)


class RecoveryTest(BrokerTestCase):
    N_BATCHES, PER_BATCH = 20, 5

    def crashed_broker_with_data(self, topic):
        b = self.start_broker()
        create_topic(b, topic, 1)
        written = produce_batches(b, topic, 0, self.N_BATCHES, self.PER_BATCH)
        b.kill()
        logs = b.segment_files(topic)
        self.assertEqual(logs, ["00000000000000000000.log"])
        path = os.path.join(b.partition_dir(topic), logs[0])
        batches = read_log_batches(path)
        self.assertEqual(len(batches), self.N_BATCHES)
        return b, written, path, batches

    def assert_serves(self, b, topic, expected):
        lo, hi = watermarks(b, topic)
        self.assertEqual((lo, hi), (0, len(expected)))
        got = consume_all(b, topic, 1, timeout=30)
        self.assertEqual([(o, k, v) for _, o, k, v in got], expected)
        more = produce_batches(b, topic, 0, 1, 2, tag="after-recovery")
        self.assertEqual(more[0][0], len(expected))
        got = consume_all(b, topic, 1, timeout=30)
        self.assertEqual([(o, k, v) for _, o, k, v in got], expected + more)

    def test_garbage_appended_to_active_segment(self):
        for name, garbage in [("random", os.urandom(3000)), ("zeros", bytes(4096)),
                              ("fake-header", record_batch([(b"k", b"v")])[:40] + b"\xff" * 30)]:
            with self.subTest(garbage=name):
                topic = f"garbage-{name}"
                b, written, path, _ = self.crashed_broker_with_data(topic)
                valid_size = os.path.getsize(path)
                with open(path, "ab") as f:
                    f.write(garbage)
                b.start()
                self.assert_serves(b, topic, written)
                b.stop()
                # The garbage was cut off, and the valid batches (plus the new one) remain.
                batches = read_log_batches(path)
                self.assertTrue(all(x["crc_ok"] for x in batches))
                self.assertEqual(len(batches), self.N_BATCHES + 1)
                self.assertEqual(batches[-1]["position"], valid_size)

    def test_last_batch_cut_in_half(self):
        b, written, path, batches = self.crashed_broker_with_data("torn")
        last = batches[-1]
        with open(path, "r+b") as f:
            f.truncate(last["position"] + last["size"] // 2)
        b.start()
        # Cut back to the end of the last complete batch.
        self.assertEqual(os.path.getsize(path), last["position"])
        self.assert_serves(b, "torn", written[:-self.PER_BATCH])

    def test_corrupt_batch_in_the_middle_truncates_from_it(self):
        b, written, path, batches = self.crashed_broker_with_data("bitrot")
        victim = batches[15]
        with open(path, "r+b") as f:
            f.seek(victim["position"] + victim["size"] - 3)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0x5A]))
        b.start()
        # Kafka's recovery keeps the valid prefix and drops the bad batch and all after it.
        self.assert_serves(b, "bitrot", written[:15 * self.PER_BATCH])

    def test_deleted_index_files_are_rebuilt(self):
        b = self.start_broker()
        create_topic(b, "reindex", 1, {"segment.bytes": "16384", "index.interval.bytes": "1024"})
        base_ts = int(time.time() * 1000) - 1_000_000
        written = produce_batches(b, "reindex", 0, 200, 5, value_size=60,
                                  timestamp=lambda i: base_ts + i * 1000)
        segments = b.segment_files("reindex")
        self.assertGreater(len(segments), 3)
        b.stop()
        removed = 0
        for ext in (".index", ".timeindex"):
            for f in b.segment_files("reindex", ext=ext):
                os.remove(os.path.join(b.partition_dir("reindex"), f))
                removed += 1
        self.assertGreaterEqual(removed, 2 * len(segments) - 1)
        b.start()
        self.assertEqual(watermarks(b, "reindex"), (0, 1000))
        # Offset lookups in every segment (through the rebuilt offset index).
        for start in (0, 1, 333, 537, 999):
            got = consume_all(b, "reindex", 1, expected=1000 - start, start_offset=start,
                              timeout=30)
            self.assertEqual([(o, k, v) for _, o, k, v in got], written[start:], f"from {start}")
        # Timestamp lookups (through the rebuilt time index).
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "t",
                      "enable.auto.commit": False})
        try:
            for batch_index in (0, 77, 150, 199):
                r = c.offsets_for_times([TopicPartition("reindex", 0,
                                                        base_ts + batch_index * 1000)], 10)
                self.assertEqual(r[0].offset, batch_index * 5, f"timestamp of batch {batch_index}")
        finally:
            c.close()
        # The index files exist again.
        self.assertEqual(b.segment_files("reindex", ext=".index"),
                         [s[:-4] + ".index" for s in b.segment_files("reindex")])


if __name__ == "__main__":
    unittest.main()
